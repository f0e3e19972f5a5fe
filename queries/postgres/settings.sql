-- Queries on store_settings (catalog/setting_rows.cc).

-- name: setting_get
SELECT value FROM store_settings WHERE name = :name

-- name: setting_put_new
-- The first writer's value stays.
INSERT INTO store_settings (name, value) VALUES (:name, :value) ON CONFLICT (name) DO NOTHING
