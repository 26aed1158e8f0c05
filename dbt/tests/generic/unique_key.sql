{#- No two rows share these columns' values (a composite key; dbt's own unique takes one column). -#}
{% test unique_key(model, columns) %}
SELECT {{ columns | join(", ") }}, count(*) AS rows_sharing_key
FROM {{ model }}
GROUP BY {{ columns | join(", ") }}
HAVING count(*) > 1
{% endtest %}
