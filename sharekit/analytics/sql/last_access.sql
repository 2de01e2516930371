-- The last successful data-plane request of each recipient to each share (for access reviews).
SELECT
  request_params['recipient_name'] AS recipient,
  request_params['share'] AS share,
  max(event_time) AS last_access,
  count(*) AS requests
FROM system.access.audit
WHERE service_name = 'unityCatalog'
  AND action_name LIKE 'deltaSharing%'
  AND event_date >= :start_date AND event_date < :end_date
  AND response.status_code = 200
  AND request_params['recipient_name'] IS NOT NULL
  AND request_params['share'] IS NOT NULL
GROUP BY 1, 2
ORDER BY recipient, share
