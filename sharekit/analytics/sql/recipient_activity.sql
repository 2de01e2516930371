-- One recipient's activity by day and hour (UTC).
SELECT
  event_date AS day,
  hour(event_time) AS hour,
  count_if(action_name NOT IN ('deltaSharingQueriedTable', 'deltaSharingQueriedTableChanges')) AS requests,
  count_if(response.status_code >= 400) AS failed,
  CAST(coalesce(sum(try_cast(get_json_object(response.result, '$.numRecords') AS BIGINT)), 0) AS BIGINT) AS rows_read,
  CAST(coalesce(sum(try_cast(get_json_object(response.result, '$.scannedAddFileSize') AS BIGINT)), 0) AS BIGINT) AS bytes_read
FROM system.access.audit
WHERE service_name = 'unityCatalog'
  AND action_name LIKE 'deltaSharing%'
  AND event_date >= :start_date AND event_date < :end_date
  AND request_params['recipient_name'] = :recipient
GROUP BY 1, 2
ORDER BY day, hour
