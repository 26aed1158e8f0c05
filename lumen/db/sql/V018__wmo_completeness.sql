-- Daily, monthly and the new annual values follow completeness rules per variable (#28): a value is
-- NULL where its day or month is incomplete, the counts beside it say why, and period averages
-- and anomalies come from valid months only. Every daily and monthly figure can change, so the
-- analytics are rebuilt from all of history at the next publish (`lumen db migrate` runs it at once).
INSERT INTO ops.analytics_rebuild (run_id, reason)
VALUES ('migration V018', 'completeness per variable (WMO): daily/monthly values NULL where incomplete, with their counts');
