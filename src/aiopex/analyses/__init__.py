"""What combines runs into an answer: the quarterly review, the portfolio, the tornado.

Each analysis computes and returns its value; writing it to disk is :mod:`aiopex.batch`'s.
"""
