-- The access review's view of the log: each recipient's data-plane requests by share and outcome in the window,
-- successful (the last read of each share) and refused (401, 403, 404, with the error code as the reason; IP_ACCESS_LIST when the
-- recipient's IP access list refused it).
SELECT
  request_params['recipient_name'] AS recipient,
  request_params['share'] AS share,
  response.status_code AS status_code,
  CASE WHEN lower(response.error_message) LIKE '%ip access list%' THEN 'IP_ACCESS_LIST'
       ELSE regexp_extract(response.error_message, '([A-Z][A-Z_]+):', 1) END AS reason,
  count(*) AS requests,
  max(event_time) AS last_seen
FROM system.access.audit
WHERE service_name = 'unityCatalog'
  AND action_name LIKE 'deltaSharing%'
  AND event_date >= :start_date AND event_date < :end_date
  AND response.status_code IN (200, 401, 403, 404)
GROUP BY 1, 2, 3, 4
ORDER BY recipient, share, status_code, reason
