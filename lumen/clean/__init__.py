"""The clean step: raw_data → processed_data — typed, checked (quality rules), station records judged,
local time derived; inside PostgreSQL, in one transaction."""
