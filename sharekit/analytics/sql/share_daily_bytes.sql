-- Daily requests and bytes read from one share (for data-transfer thresholds).
SELECT
  event_date AS day,
  count_if(action_name NOT IN ('deltaSharingQueriedTable', 'deltaSharingQueriedTableChanges')) AS requests,
  count(DISTINCT request_params['recipient_name']) AS recipients,
  CAST(coalesce(sum(try_cast(get_json_object(response.result, '$.scannedAddFileSize') AS BIGINT)), 0) AS BIGINT) AS bytes_read
FROM system.access.audit
WHERE service_name = 'unityCatalog'
  AND action_name LIKE 'deltaSharing%'
  AND event_date >= :start_date AND event_date < :end_date
  AND request_params['share'] = :share
GROUP BY 1
ORDER BY day
