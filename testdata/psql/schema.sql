CREATE TABLE accounts (
  id serial PRIMARY KEY,
  email varchar(100) NOT NULL UNIQUE,
  balance numeric(12,2) NOT NULL DEFAULT 0 CHECK (balance >= 0),
  active boolean DEFAULT true,
  created_at timestamptz
);
CREATE INDEX accounts_created_idx ON accounts (created_at);
CREATE TABLE items (
  sku text,
  qty integer NOT NULL,
  price double precision,
  note char(4)
);
