-- Order lifecycle (pay, cancel, expire), the stock-return saga step, idempotency keys and
-- the fencing tokens of singleton jobs. See docs/consistency.md.

-- Whether a shopper whose order was cancelled or expired may buy in the sale again.
ALTER TABLE sales ADD COLUMN rebuy_after_return BOOLEAN NOT NULL DEFAULT false;

-- A redelivered reservation carries the reserved_at_ms of its first delivery; a reservation
-- id reused after its units were returned (rebuy_after_return) carries a later one. The pair
-- is therefore the idempotency key of an order row.
ALTER TABLE orders DROP CONSTRAINT orders_reservation_id_key;
ALTER TABLE orders ADD CONSTRAINT orders_reservation_key UNIQUE (reservation_id, reserved_at_ms);

-- stock_return: 'none' while the order holds its units; 'pending' from the transition to
-- cancelled/expired (same UPDATE) until Redis has taken the units back; then 'done'.
ALTER TABLE orders
  ADD COLUMN paid_at_ms   BIGINT,
  ADD COLUMN closed_at_ms BIGINT,
  ADD COLUMN payment_ref  TEXT,
  ADD COLUMN stock_return TEXT NOT NULL DEFAULT 'none'
             CHECK (stock_return IN ('none', 'pending', 'done'));
ALTER TABLE orders ADD CONSTRAINT orders_closed_returns
  CHECK ((status IN ('cancelled', 'expired')) = (stock_return <> 'none'));

CREATE INDEX orders_due_idx ON orders (reserved_at_ms) WHERE status = 'awaiting_payment';
CREATE INDEX orders_return_pending_idx ON orders (closed_at_ms) WHERE stock_return = 'pending';

-- One row per (user, scope, Idempotency-Key): the first request's body hash and, once it
-- finished, its answer, replayed to every retry with the same key.
CREATE TABLE idempotency_keys (
  user_id         BIGINT NOT NULL REFERENCES users (id),
  scope           TEXT NOT NULL,
  key             TEXT NOT NULL,
  request_hash    TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'started' CHECK (state IN ('started', 'done')),
  response_status INT,
  response_body   TEXT,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, scope, key)
);

-- The highest fencing token a singleton job has written with; a holder of an older token
-- (its lock expired while it paused) can no longer write.
CREATE TABLE job_fences (
  name  TEXT PRIMARY KEY,
  fence BIGINT NOT NULL
);
