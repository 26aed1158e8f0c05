{#-
  The run's window: the UTC hours [start, end) the pipeline run touched, passed by the
  publish step as LUMEN_WINDOW_START / LUMEN_WINDOW_END (ISO instants; both empty = all of
  history).

  Why environment variables read only while executing: dbt re-parses the whole project when
  a --var changes, and re-parses a file when an env_var it read *while parsing* changes. The
  window changes every hourly run, so it is read at execution time only (`execute`), and
  what must be fixed at parse time (a model's incremental_predicates, a test's `where`)
  names the window with placeholders — [lo] [hi] [d_from] [d_to] [m_from] [m_to] — that
  lumen_window_fill() replaces when the SQL runs. Partial parsing then re-parses nothing.

  The local days a UTC window can touch are bounded by Brazil's offsets (UTC−5 … UTC−2):
  a local day lies within UTC [day + 2 h, day + 1 day + 5 h), so reading two days either
  side of the window finds every hour of those days.
-#}
{% macro lumen_window() %}
  {%- set start = env_var('LUMEN_WINDOW_START', '') if execute else '' -%}
  {%- set end = env_var('LUMEN_WINDOW_END', '') if execute else '' -%}
  {%- set lo = "timestamptz '" ~ start ~ "'" if start else "timestamptz '-infinity'" -%}
  {%- set hi = "timestamptz '" ~ end ~ "'" if end else "timestamptz 'infinity'" -%}
  {%- set d_from = "((" ~ lo ~ " AT TIME ZONE 'UTC') - interval '5 hours')::date" -%}
  {%- set d_to = "(((" ~ hi ~ " - interval '1 microsecond') AT TIME ZONE 'UTC') - interval '2 hours')::date" -%}
  {%- do return({
      "lo": lo, "hi": hi, "d_from": d_from, "d_to": d_to,
      "m_from": "date_trunc('month', " ~ d_from ~ ")::date",
      "m_to": "date_trunc('month', " ~ d_to ~ ")::date",
  }) -%}
{% endmacro %}

{#- Replace the window placeholders in a piece of SQL with the run's window. -#}
{% macro lumen_window_fill(text) %}
  {%- set w = lumen_window() -%}
  {%- set ns = namespace(out=text) -%}
  {%- for key in ["lo", "hi", "d_from", "d_to", "m_from", "m_to"] -%}
    {%- set ns.out = ns.out | replace("[" ~ key ~ "]", w[key]) -%}
  {%- endfor -%}
  {%- do return(ns.out) -%}
{% endmacro %}

{#- The window's local days, as a predicate on a date column. -#}
{% macro window_days(w, column) -%}
  {{ column }} BETWEEN {{ w.d_from }} AND {{ w.d_to }}
{%- endmacro %}

{#- The window's hours, as a predicate on a timestamptz column. -#}
{% macro window_hours(w, column) -%}
  ({{ column }} >= {{ w.lo }} AND {{ column }} < {{ w.hi }})
{%- endmacro %}

{#- Rows of processed_data that can belong to the window's local days (read margin included). -#}
{% macro window_rows(w, alias='o') -%}
  {{ alias }}.observed_at >= {{ w.lo }} - interval '2 days' AND {{ alias }}.observed_at < {{ w.hi }} + interval '2 days'
  AND {{ window_days(w, alias ~ '.local_date') }}
{%- endmacro %}

{#- dbt's own, with the window placeholders of a test's `where` filled in at run time. -#}
{% macro default__get_where_subquery(relation) -%}
  {%- set where = config.get('where', '') -%}
  {%- if where -%}
    {%- do return("(select * from " ~ relation ~ " where " ~ lumen_window_fill(where) ~ ") dbt_subquery") -%}
  {%- else -%}
    {%- do return(relation) -%}
  {%- endif -%}
{%- endmacro %}
