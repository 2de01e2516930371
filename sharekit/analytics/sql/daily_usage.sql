-- Daily data-plane requests, failures, rows and bytes per recipient, share and table.
-- Empty-string parameters mean "no filter". Rows and bytes come from the deltaSharingQueried* events.
SELECT
  event_date AS day,
  request_params['recipient_name'] AS recipient,
  request_params['share'] AS share,
  request_params['schema'] || '.' || request_params['name'] AS table_name,
  count_if(action_name NOT IN ('deltaSharingQueriedTable', 'deltaSharingQueriedTableChanges')) AS requests,
  count_if(response.status_code >= 400) AS failed,
  CAST(coalesce(sum(try_cast(get_json_object(response.result, '$.numRecords') AS BIGINT)), 0) AS BIGINT) AS rows_read,
  CAST(coalesce(sum(try_cast(get_json_object(response.result, '$.scannedAddFileSize') AS BIGINT)), 0) AS BIGINT) AS bytes_read
FROM system.access.audit
WHERE service_name = 'unityCatalog'
  AND action_name LIKE 'deltaSharing%'
  AND event_date >= :start_date AND event_date < :end_date
  AND (:share = '' OR request_params['share'] = :share)
  AND (:recipient = '' OR request_params['recipient_name'] = :recipient)
  AND (:table_name = '' OR request_params['schema'] || '.' || request_params['name'] = :table_name)
GROUP BY 1, 2, 3, 4
ORDER BY day, recipient, share, table_name
