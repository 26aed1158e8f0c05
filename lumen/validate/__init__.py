"""The validate step: Great Expectations suites over processed_data, by day, month or year batch."""
