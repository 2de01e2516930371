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
MAX_INCOMPLETE_EVENT_BYTES = 64 * 1024  # h11: request line plus headers
REQUEST_THREADS = 40  # worker threads for request work (the figure anyio uses by default)
REQUEST_THREAD_IDLE_S = 10.0  # an idle worker thread exits after this long

# -- listings -------------------------------------------------------------------------------------------
UC_PAGE_SIZE = 100  # Unity Catalog listings (max_results / page_token)
UC_MAX_PAGE_SIZE = 1000
PROTOCOL_PAGE_SIZE = 500  # Delta Sharing listings (maxResults / pageToken)
PROTOCOL_MAX_PAGE_SIZE = 1000
MAX_UPDATES = 100  # data object updates in one updateShare request

# -- signed files ---------------------------------------------------------------------------------------
SIGNED_URL_TTL_S = 3600
FILE_CHUNK_BYTES = 1024 * 1024  # large reads: fewer event-loop round trips per file

# -- caches ---------------------------------------------------------------------------------------------
SNAPSHOT_CACHE_SIZE = 64  # Delta snapshots (file lists) kept per server
SNAPSHOT_CACHE_FILES = 400_000  # file entries held in those snapshots at most (~1 KB each; the newest always stays)
METADATA_CACHE_SIZE = 512  # table metadata entries before the cache starts over
VIEW_KEEP_STATES = 32  # materialisations kept per shared view (recipient property values x source versions)

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
