"""``t1114 audit``: mitigation M1047 (Audit) as a feature.

Detection rules only see changes made while logs were kept; this package reads the
configuration exports administrators already save (Exchange cmdlets, Microsoft Graph, Gmail
API, GAM) and reports every forwarding and mail exposure they hold, judged against the tenant
they describe, each with the command that undoes it.

One module per job: ``readers`` turn a file into records, ``shapes`` name the export from its
columns, ``recipients`` parse every rendering of an address, ``tenant`` decides internal or
external and whether forwarding can leave, ``checks`` produce findings, ``fixes`` write the
commands, ``render`` and ``html`` write the report, ``baseline`` compares two audits, ``run``
ties them together and ``cli`` is what the ``t1114 audit`` command calls. ``mitigation``
describes the audit to the coverage layer.
"""
