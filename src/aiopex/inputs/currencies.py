"""The currency codes a scenario may use: ISO 4217 codes of the currencies in use today.

The list is the one the Unicode CLDR keeps (every territory's currency that is legal tender
and has no end date), as Babel ships it; it was made with::

    from babel.core import get_global
    tc = get_global("territory_currencies")
    sorted({c[0] for cs in tc.values() for c in cs if c[2] is None and c[3]})

Babel is not needed at run time. See docs/scenario.md (``currency``).
"""

from __future__ import annotations

#: ISO 4217 codes of the currencies in use (153 codes, CLDR via Babel 2.19).
CURRENCIES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
    MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
    PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SYP SZL
    THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG
    XOF XPF YER ZAR ZMW ZWG
    """.split()
)
