"""The preventive twin of the detective checks: a CrossGuard policy pack decided by the evaluators' code.

Each resource a check covers is turned into the configuration item AWS Config would record for it
(``adapters``), and the check's own pure decision (``evaluators.<check>.CHECK.decide``) gives the verdict
that the detective rule will later post. The pack's configuration takes the stack settings' names
(``config``); ``policies`` builds one stack policy per catalogue check.
"""
