"""Shared views: ``CREATE [OR REPLACE] VIEW`` over local Delta tables, evaluated per recipient and served like a table.

A view is stored in the metastore as its query text (what the provider wrote, so a configuration that re-applies
the same SQL sees no change): ``definition``. ``current_recipient('key')`` in the query is rewritten with sqlglot
into a bound DuckDB parameter, never a formatted value: ``analysis``. For a recipient the view is evaluated on
DuckDB over the source tables' latest versions (``evaluation``) and materialised as Parquet under
``home/cache/views/<view key>/<state key>/`` (``materialisation``); the state key hashes the view definition, the
source versions and the values of the properties the view reads, so a changed source table or a changed
recipient property gives a new materialisation on the next request.

Without a recipient (the provider's own SELECT) a view that calls ``current_recipient`` fails, as on Databricks.
A recipient that lacks a property the view reads gets an error, never unfiltered rows.
"""
