{#- How many hours a local day has in an IANA zone: 24, or 23 / 25 on a daylight-saving change. -#}
{% macro local_day_hours(day, zone) -%}
  (extract(epoch FROM ((({{ day }}) + 1)::timestamp AT TIME ZONE {{ zone }})
                      - (({{ day }})::timestamp AT TIME ZONE {{ zone }})) / 3600)
{%- endmacro %}
