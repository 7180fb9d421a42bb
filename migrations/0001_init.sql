-- Users, sales and orders: the durable record behind the Redis hot path.

CREATE TABLE users (
  id            BIGSERIAL PRIMARY KEY,
  email         TEXT UNIQUE NOT NULL,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE sales (
  id                  BIGSERIAL PRIMARY KEY,
  product_name        TEXT NOT NULL,
  product_description TEXT NOT NULL DEFAULT '',
  price_cents         BIGINT NOT NULL CHECK (price_cents >= 0),
  stock_total         INT NOT NULL CHECK (stock_total >= 0),
  limit_per_user      INT NOT NULL DEFAULT 1 CHECK (limit_per_user >= 1),
  starts_at_ms        BIGINT NOT NULL,
  ends_at_ms          BIGINT NOT NULL,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (ends_at_ms > starts_at_ms)
);

-- reservation_id is the idempotency key: every redelivery of a reservation maps to one row.
CREATE TABLE orders (
  id             BIGSERIAL PRIMARY KEY,
  reservation_id TEXT NOT NULL UNIQUE,
  sale_id        BIGINT NOT NULL REFERENCES sales (id),
  user_id        BIGINT NOT NULL REFERENCES users (id),
  quantity       INT NOT NULL CHECK (quantity > 0),
  price_cents    BIGINT NOT NULL,
  status         TEXT NOT NULL DEFAULT 'awaiting_payment'
                 CHECK (status IN ('awaiting_payment', 'paid', 'cancelled', 'expired')),
  reserved_at_ms BIGINT NOT NULL,
  traceparent    TEXT NOT NULL DEFAULT '',
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX orders_sale_user_idx ON orders (sale_id, user_id);
CREATE INDEX orders_user_idx ON orders (user_id);
