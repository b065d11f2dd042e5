"""AWS Config custom-rule evaluators: one module per check on top of a shared runtime.

Runtime modules: ``events`` (the Lambda event), ``items`` (configuration items), ``fields`` (reading
them), ``verdicts`` (what a check returns), ``parameters`` (rule parameters), ``aws`` (clients),
``inventory`` (listing resources), ``check`` (what a check supplies), ``runner`` (the handler pipeline),
``sweep`` (periodic sweeps), ``reporting`` (PutEvaluations) and ``metrics`` (compliance metrics).
"""
