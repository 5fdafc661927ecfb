# Version 2 adds two timestamps. Going back to v1 drops them: the default policy denies that.
schema "main" {}

table "users" {
  schema = schema.main
  column "id" {
    type = uuid
    null = false
  }
  column "name" {
    type = text
    null = false
  }
  column "is_admin" {
    type    = boolean
    null    = false
    default = false
  }
  column "created_at" {
    type    = timestamp
    null    = false
    default = sql("CURRENT_TIMESTAMP")
  }
  column "last_login" {
    type = timestamp
    null = true
  }
  primary_key {
    columns = [column.id]
  }
}
