"""Every tunable of the embedded server, and the identity of the workspace it stands in for.

A module that needs one of these imports it from here; none of them is written twice.
"""

from __future__ import annotations

# -- the workspace identity (what databricks-sdk, the SCIM probe and the audit log see) ------------------
WORKSPACE_ID = "1234567890"
ACCOUNT_ID = "00000000-0000-0000-0000-000000000000"
METASTORE_ID = "00000000-0000-0000-0000-" + WORKSPACE_ID.rjust(12, "0")
ADMIN_USER = "admin@sharekit.local"
WAREHOUSE_ID = "sharekit-local"
WAREHOUSE_NAME = "sharekit embedded"
AUDIT_SERVICE_NAME = "unityCatalog"
AUDIT_LEVEL = "WORKSPACE_LEVEL"

# -- HTTP -----------------------------------------------------------------------------------------------
MAX_BODY_BYTES = 1 << 20  # 1 MiB: far above any legitimate management or protocol request
KEEP_ALIVE_S = 30
MAX_CONCURRENCY = 512  # connections uvicorn serves at once before it answers 503
MAX_INCOMPLETE_EVENT_BYTES = 64 * 1024  # a request head (line and headers): over it, 400 (h11 and httptools)
HEADER_TIMEOUT_S = 10.0  # a request head must be complete this long after the connection opened
BODY_TIMEOUT_S = 30.0  # ... and its body this long after the head (1 MiB at 35 KB/s)
MAX_IDLE_CONNECTIONS = 128  # connections waiting for a request head; a new one beyond closes the oldest
REQUEST_THREADS = 40  # worker threads for request work (the figure anyio uses by default)
REQUEST_THREAD_IDLE_S = 10.0  # an idle worker thread exits after this long

# -- listings -------------------------------------------------------------------------------------------
UC_PAGE_SIZE = 100  # Unity Catalog listings (max_results / page_token)
UC_MAX_PAGE_SIZE = 1000
PROTOCOL_PAGE_SIZE = 500  # Delta Sharing listings (maxResults / pageToken)
PROTOCOL_MAX_PAGE_SIZE = 1000
MAX_UPDATES = 100  # data object updates in one updateShare request

QUERY_PAGE_FILES_LIMIT = 10_000  # file lines per page of a paged query (the reference server's limit)
PAGE_TOKEN_TTL_S = 3 * 24 * 3600  # a nextPageToken stays valid this long (the reference server's default)
REFRESH_TOKEN_TTL_S = 3600  # ... and a refreshToken this long

# -- signed files ---------------------------------------------------------------------------------------
SIGNED_URL_TTL_S = 3600
FILE_CHUNK_BYTES = 1024 * 1024  # large reads: fewer event-loop round trips per file

# -- caches ---------------------------------------------------------------------------------------------
SNAPSHOT_CACHE_SIZE = 64  # Delta snapshots (file lists) kept per server
SNAPSHOT_CACHE_FILES = 400_000  # file entries held in those snapshots at most (~3 KB each once queried; the newest stays)
SNAPSHOT_INDEXES = 4  # partition-value indexes kept per snapshot (one per column set a filter or predicate reads)
METADATA_CACHE_SIZE = 512  # table metadata entries before the cache starts over
VIEW_KEEP_STATES = 32  # materialisations kept per shared view (recipient property values x source versions)
CDF_KEEP_COMMITS = 256  # materialised change-data commits kept per server (beyond those a live URL points to)

# -- OIDC federation (JWTs of OIDC_FEDERATION recipients) ------------------------------------------------
JWKS_CACHE_ISSUERS = 32  # issuers whose discovery document and keys are kept at once
JWKS_TTL_S = 300  # how long fetched keys are trusted before they are fetched again
JWKS_FETCH_TIMEOUT_S = 5.0
JWKS_REFRESH_COOLDOWN_S = 30  # an unknown key id fetches the key set again at most this often (PyJWT)
JWKS_RETRY_S = 10  # after a failed discovery, refuse at once for this long instead of waiting on the issuer again
JWT_LEEWAY_S = 30  # clock skew allowed on exp / nbf / iat

# -- statement execution --------------------------------------------------------------------------------
STATEMENT_CHUNK_ROWS = 5_000
STATEMENT_MAX_ROWS = 1_000_000
KEEP_STATEMENTS = 200  # finished statements whose results stay readable
STATEMENT_WORKERS = 2
WAIT_TIMEOUT_DEFAULT_S = 10
WAIT_TIMEOUT_MIN_S = 5
WAIT_TIMEOUT_MAX_S = 50
DUCKDB_THREADS = 2  # per statement or view evaluation

# -- the metastore ---------------------------------------------------------------------------------------
METASTORE_BUSY_TIMEOUT_S = 30  # how long a write waits for another connection's transaction
WRITE_REPLAY_WINDOW_S = 600  # a retried write gets its first, lost answer this long (the SDK retries for 300 s)
WRITE_REPLAY_MEMORY = 4096  # connections (and read answers) remembered for telling a retry from a new request

# -- the audit log --------------------------------------------------------------------------------------
AUDIT_FSYNC_INTERVAL_S = 0.2
AUDIT_ROLL_BYTES = 32 << 20
AUDIT_ROLL_SECONDS = 600.0
AUDIT_COMPACT_SMALL_ROWS = 200_000  # segments below this many rows are merged ...
AUDIT_COMPACT_MIN_FILES = 8  # ... once there are this many of them
AUDIT_CLOSE_TIMEOUT_S = 30  # how long close() waits for the background thread's last roll

# -- preview-as-recipient -------------------------------------------------------------------------------
PREVIEW_DEFAULT_ROWS = 10
PREVIEW_MAX_ROWS = 1000
