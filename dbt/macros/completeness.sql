{#-
  Completeness, per variable (the rules' numbers are vars in dbt_project.yml): a daily mean or
  extreme needs lumen_min_valid_hours valid hours and no run of more than lumen_max_gap_hours
  missing hours (20 and 3: LÚMEN's rule, #28; the same for the extremes, as a missing afternoon
  hides the maximum); a month is missing if lumen_max_missing_days + 1 or more daily values are
  missing, or lumen_max_missing_run_days + 1 consecutive ones (11 and 5: WMO-No. 1203, 2017);
  totals need every hour or every day.
-#}
{% macro hours_rule(prefix) -%}
  ({{ prefix }}_valid_hours >= {{ var('lumen_min_valid_hours') }} AND {{ prefix }}_longest_gap_h <= {{ var('lumen_max_gap_hours') }})
{%- endmacro %}

{% macro days_rule(prefix) -%}
  ({{ prefix }}_missing_days <= {{ var('lumen_max_missing_days') }}
   AND {{ prefix }}_longest_gap_days <= {{ var('lumen_max_missing_run_days') }})
{%- endmacro %}

{#- The value only where its rule holds, else NULL. -#}
{% macro when_valid(rule, value) -%}
  CASE WHEN {{ rule }} THEN {{ value }} END
{%- endmacro %}

{#-
  Sunrise or sunset at a station, in hours after UTC midnight of the date: NOAA's solar position
  equations (Spencer's series for the declination and the equation of time, of `y`, the fractional
  year 2π/365·(day of year − 1); the standard horizon, zenith 90.833°, which counts refraction and
  the sun's disc), good to a few minutes in Brazil's latitudes. `which`: rise | set.
-#}
{% macro declination(y) -%}
  (0.006918 - 0.399912 * cos({{ y }}) + 0.070257 * sin({{ y }}) - 0.006758 * cos(2 * {{ y }}) + 0.000907 * sin(2 * {{ y }})
   - 0.002697 * cos(3 * {{ y }}) + 0.00148 * sin(3 * {{ y }}))
{%- endmacro %}

{% macro equation_of_time(y) -%}
  (229.18 * (0.000075 + 0.001868 * cos({{ y }}) - 0.032077 * sin({{ y }}) - 0.014615 * cos(2 * {{ y }}) - 0.040849 * sin(2 * {{ y }})))
{%- endmacro %}

{% macro sun_hour(decl, eot, lat, lon, which) -%}
  {%- set h0 = "degrees(acos(least(1, greatest(-1, cos(radians(90.833)) / (cos(radians(" ~ lat ~ ")) * cos(" ~ decl ~ ")) - tan(radians(" ~ lat ~ ")) * tan(" ~ decl ~ ")))))" -%}
  ((720 - 4 * ({{ lon }}) - {{ eot }} {{ '-' if which == 'rise' else '+' }} 4 * {{ h0 }}) / 60)
{%- endmacro %}

{#-
  The longest run of missing hours in a day, from the bits of the hours present (bit h = local hour
  h, 0…23; hours before `first` — the hour daylight saving skipped — count as present). Per byte of
  the mask, tables built here at compile time give the longest run of zero bits inside it, and the
  zeros at its low and high end; a run crossing bytes adds those ends. Integer work only: no sort,
  no join, whatever the number of days.
-#}
{% macro longest_gap(mask, first) -%}
  {%- set ns = namespace(longest=[], low=[], high=[]) -%}
  {%- for b in range(256) -%}
    {%- set run = namespace(now=0, best=0, low=8) -%}
    {%- for k in range(8) -%}
      {%- if (b // (2 ** k)) % 2 == 0 -%}
        {%- set run.now = run.now + 1 -%}
        {%- if run.now > run.best %}{% set run.best = run.now %}{% endif -%}
      {%- else -%}
        {%- if run.low == 8 %}{% set run.low = k %}{% endif -%}
        {%- set run.now = 0 -%}
      {%- endif -%}
    {%- endfor -%}
    {%- set ns.longest = ns.longest + [run.best] -%}
    {%- set ns.low = ns.low + [run.low] -%}
    {%- set ns.high = ns.high + [run.now] -%}
  {%- endfor -%}
  {%- set L = "('{" ~ ns.longest | join(',') ~ "}'::int[])" -%}
  {%- set T = "('{" ~ ns.low | join(',') ~ "}'::int[])" -%}
  {%- set H = "('{" ~ ns.high | join(',') ~ "}'::int[])" -%}
  {%- set m = "((" ~ mask ~ ") | ((1 << (" ~ first ~ ")) - 1))" -%}
  {%- set b0 = "((" ~ m ~ " & 255) + 1)" -%}
  {%- set b1 = "(((" ~ m ~ " >> 8) & 255) + 1)" -%}
  {%- set b2 = "(((" ~ m ~ " >> 16) & 255) + 1)" -%}
  (CASE WHEN ({{ m }} & 16777215) = 16777215 THEN 0
        ELSE greatest({{ L }}[{{ b0 }}], {{ L }}[{{ b1 }}], {{ L }}[{{ b2 }}],
                      {{ H }}[{{ b0 }}] + {{ T }}[{{ b1 }}], {{ H }}[{{ b1 }}] + {{ T }}[{{ b2 }}],
                      CASE WHEN {{ b1 }} = 1 THEN {{ H }}[{{ b0 }}] + 8 + {{ T }}[{{ b2 }}] END) END)
{%- endmacro %}
