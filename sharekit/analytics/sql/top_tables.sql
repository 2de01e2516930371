-- The most accessed shared tables: requests, distinct recipients that read them (successful requests only: a
-- refused attempt counts in failed, not as a recipient), rows, bytes, average query duration.
SELECT
  request_params['share'] AS share,
  request_params['schema'] || '.' || request_params['name'] AS table_name,
  count_if(action_name NOT IN ('deltaSharingQueriedTable', 'deltaSharingQueriedTableChanges')) AS requests,
  count(DISTINCT CASE WHEN response.status_code < 400 THEN request_params['recipient_name'] END) AS recipients,
  CAST(coalesce(sum(try_cast(get_json_object(response.result, '$.numRecords') AS BIGINT)), 0) AS BIGINT) AS rows_read,
  CAST(coalesce(sum(try_cast(get_json_object(response.result, '$.scannedAddFileSize') AS BIGINT)), 0) AS BIGINT) AS bytes_read,
  avg(try_cast(get_json_object(response.result, '$.durationMs') AS DOUBLE)) AS avg_duration_ms,
  count_if(response.status_code >= 400) AS failed
FROM system.access.audit
WHERE service_name = 'unityCatalog'
  AND action_name LIKE 'deltaSharing%'
  AND event_date >= :start_date AND event_date < :end_date
  AND request_params['name'] IS NOT NULL
  AND (:share = '' OR request_params['share'] = :share)
  AND (:recipient = '' OR request_params['recipient_name'] = :recipient)
GROUP BY request_params['share'], request_params['schema'], request_params['name']
ORDER BY requests DESC, share, table_name
LIMIT :top_n
