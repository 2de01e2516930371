-- Per-recipient daily requests and bytes, zero-filled from the recipient's first active day, scored against
-- the recipient's own weekday or weekend baseline with two rules: mean +- k * stddev, and the robust
-- modified z-score 0.6745 * (x - median) / MAD. Recipients with less than min_history days of history are not flagged.
WITH daily AS (
  SELECT
    request_params['recipient_name'] AS recipient,
    event_date AS day,
    count_if(action_name NOT IN ('deltaSharingQueriedTable', 'deltaSharingQueriedTableChanges')) AS requests,
    CAST(coalesce(sum(try_cast(get_json_object(response.result, '$.scannedAddFileSize') AS BIGINT)), 0) AS BIGINT) AS bytes_read
  FROM system.access.audit
  WHERE service_name = 'unityCatalog'
    AND action_name LIKE 'deltaSharing%'
    AND event_date >= :start_date AND event_date < :end_date
    AND request_params['recipient_name'] IS NOT NULL
    AND (:recipient = '' OR request_params['recipient_name'] = :recipient)
  GROUP BY 1, 2
),
firsts AS (
  SELECT recipient, min(day) AS first_day FROM daily GROUP BY recipient
),
calendar AS (
  SELECT :start_date + CAST(i AS INT) AS day FROM range(0, :n_days) AS t(i)
),
grid AS (
  SELECT
    f.recipient,
    c.day,
    CASE WHEN datediff(c.day, DATE '1970-01-05') % 7 >= 5 THEN 'weekend' ELSE 'weekday' END AS day_type,
    coalesce(d.requests, 0) AS requests,
    coalesce(d.bytes_read, 0) AS bytes_read
  FROM firsts f
  JOIN calendar c ON c.day >= f.first_day
  LEFT JOIN daily d ON d.recipient = f.recipient AND d.day = c.day
),
series AS (
  SELECT recipient, day, day_type, 'requests' AS metric, CAST(requests AS DOUBLE) AS value FROM grid
  UNION ALL
  SELECT recipient, day, day_type, 'bytes' AS metric, CAST(bytes_read AS DOUBLE) AS value FROM grid
),
stats AS (
  SELECT recipient, day_type, metric, count(*) AS n, avg(value) AS mean, stddev_samp(value) AS sd,
         median(value) AS med
  FROM series
  GROUP BY 1, 2, 3
),
spread AS (
  SELECT s.recipient, s.day_type, s.metric, median(abs(s.value - t.med)) AS mad
  FROM series s
  JOIN stats t ON t.recipient = s.recipient AND t.day_type = s.day_type AND t.metric = s.metric
  GROUP BY 1, 2, 3
),
history AS (
  SELECT recipient, count(*) AS history_days FROM grid GROUP BY recipient
),
scored AS (
  SELECT
    s.recipient, s.day, s.metric, s.day_type, s.value, t.n AS baseline_days, t.mean, t.sd AS stddev,
    t.med AS median, p.mad, h.history_days,
    CASE WHEN t.sd > 0 THEN (s.value - t.mean) / t.sd END AS z,
    CASE WHEN p.mad > 0 THEN 0.6745 * (s.value - t.med) / p.mad END AS robust_z
  FROM series s
  JOIN stats t ON t.recipient = s.recipient AND t.day_type = s.day_type AND t.metric = s.metric
  JOIN spread p ON p.recipient = s.recipient AND p.day_type = s.day_type AND p.metric = s.metric
  JOIN history h ON h.recipient = s.recipient
)
SELECT
  recipient, day, metric, day_type, value, baseline_days, mean, stddev, median, mad, history_days, z, robust_z,
  coalesce(history_days >= :min_history AND abs(z) > :k, false) AS flag_mean,
  coalesce(history_days >= :min_history AND abs(robust_z) > :robust_k, false) AS flag_robust
FROM scored
ORDER BY recipient, metric, day
