-- Daily data-plane requests, failures, rows and bytes per recipient, share and table.
-- Empty-string parameters mean "no filter". Rows and bytes come from the deltaSharingQueried* events.
SELECT
  day,
  recipient,
  share,
  schema_name || '.' || table_only AS table_name,
  count_if(NOT queried) AS requests,
  count_if(status_code >= 400) AS failed,
  CAST(coalesce(sum(num_records), 0) AS BIGINT) AS rows_read,
  CAST(coalesce(sum(scanned_bytes), 0) AS BIGINT) AS bytes_read
FROM (
  SELECT
    event_date AS day,
    request_params['recipient_name'] AS recipient,
    request_params['share'] AS share,
    CASE WHEN request_params['name'] IS NOT NULL THEN request_params['schema'] END AS schema_name,
    request_params['name'] AS table_only,
    action_name IN ('deltaSharingQueriedTable', 'deltaSharingQueriedTableChanges') AS queried,
    response.status_code AS status_code,
    try_cast(get_json_object(response.result, '$.numRecords') AS BIGINT) AS num_records,
    try_cast(get_json_object(response.result, '$.scannedAddFileSize') AS BIGINT) AS scanned_bytes
  FROM system.access.audit
  WHERE service_name = 'unityCatalog'
    AND action_name LIKE 'deltaSharing%'
    AND event_date >= :start_date AND event_date < :end_date
    AND (:share = '' OR request_params['share'] = :share)
    AND (:recipient = '' OR request_params['recipient_name'] = :recipient)
    AND (:table_schema = '' OR request_params['schema'] = :table_schema)
    AND (:table = '' OR request_params['name'] = :table)
) AS events
GROUP BY day, recipient, share, schema_name, table_only
ORDER BY day, recipient, share, table_name
