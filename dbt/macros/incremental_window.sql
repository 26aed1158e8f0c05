{#-
  Incremental strategy "window": delete what the run's window can touch, then insert the
  model's rows for it — in one transaction, so readers see the old figures until commit.
  dbt's own delete+insert deletes only the keys the new rows carry, which would keep a
  station-day whose every hour was removed upstream; here the window decides what goes.
  A model states what its window covers as incremental_predicates on its own key columns
  (station and local day, month, …), with the placeholders of macros/window.sql, plus
  [this] (the table) and [new] (the rows just computed).
-#}
{% macro get_incremental_window_sql(arg_dict) %}
  {%- set target = arg_dict["target_relation"] -%}
  {%- set source = arg_dict["temp_relation"] -%}
  {%- set predicates = arg_dict["incremental_predicates"] -%}
  {%- if not predicates -%}
    {{ exceptions.raise_compiler_error("incremental_strategy 'window' needs incremental_predicates: what the window covers") }}
  {%- endif -%}
  {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
  {%- set where = lumen_window_fill(predicates | join(" AND ")) | replace("[this]", target | string) | replace("[new]", source | string) -%}
  DELETE FROM {{ target }} WHERE {{ where }};
  INSERT INTO {{ target }} ({{ columns }}) SELECT {{ columns }} FROM {{ source }}
{% endmacro %}
