{#- Values between min and max (inclusive); NULL passes (not_null says otherwise). -#}
{% test in_range(model, column_name, min=none, max=none) %}
SELECT {{ column_name }} AS value
FROM {{ model }}
WHERE {% if min is not none %}{{ column_name }} < {{ min }}{% else %}false{% endif %}
   OR {% if max is not none %}{{ column_name }} > {{ max }}{% else %}false{% endif %}
{% endtest %}
