-- Denied and failed requests (401, 403, 404) by recipient, status and reason (the error code).
SELECT
  request_params['recipient_name'] AS recipient,
  response.status_code AS status_code,
  regexp_extract(response.error_message, '([A-Z][A-Z_]+):', 1) AS reason,
  count(*) AS requests,
  count(DISTINCT event_date) AS days,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen
FROM system.access.audit
WHERE service_name = 'unityCatalog'
  AND action_name LIKE 'deltaSharing%'
  AND event_date >= :start_date AND event_date < :end_date
  AND response.status_code IN (401, 403, 404)
  AND (:recipient = '' OR request_params['recipient_name'] = :recipient)
GROUP BY 1, 2, 3
ORDER BY requests DESC, recipient, status_code, reason
