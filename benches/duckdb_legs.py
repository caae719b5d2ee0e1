"""DuckDB's per-leg GROUP BY over a JSON-lines log of callbacks: the query a user would write instead
of `callfold legs`, timed beside it by benches/ratios.rs.

    python duckdb_legs.py LOG THREADS OUT

One row per leg (callId), sorted by callId as `callfold legs` sorts: the earliest of its four times,
one cause, how many callbacks, and whether they disagree on endTime. The times are read as text, not
parsed: cheaper for DuckDB than callfold's parsing of every timestamp shape, so the comparison favours
it. It does a fraction of callfold's work (no fingerprints, no conflicts on every fact, no invariants,
no states), but it is what the alternative costs.
"""
import sys

import duckdb

log, threads, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def quoted(text):
    return "'" + text.replace("'", "''") + "'"


con = duckdb.connect()
con.execute(f"SET threads = {threads}")
con.execute(f"""
COPY (
  SELECT callId,
         min(enqueuedTime) AS enqueuedTime, min(startTime) AS startTime,
         min(answerTime) AS answerTime, min(endTime) AS endTime,
         any_value(cause) AS cause, count(*) AS callbacks,
         count(DISTINCT endTime) > 1 AS endTimeConflict
  FROM read_json({quoted(log)}, format = 'newline_delimited', ignore_errors = true,
       columns = {{eventType: 'VARCHAR', callId: 'VARCHAR', parentCallId: 'VARCHAR',
                   enqueuedTime: 'VARCHAR', startTime: 'VARCHAR', answerTime: 'VARCHAR',
                   endTime: 'VARCHAR', cause: 'VARCHAR'}})
  WHERE eventType LIKE 'transfer%' AND eventType <> 'transferComplete'
  GROUP BY callId
  ORDER BY callId
) TO {quoted(out)} (FORMAT json)
""")
rows = con.execute(f"SELECT count(*) FROM read_json({quoted(out)}, format = 'newline_delimited')").fetchone()[0]
print(rows)
