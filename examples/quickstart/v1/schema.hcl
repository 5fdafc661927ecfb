# The users table of the write-up this product grew from: version 1.
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
  primary_key {
    columns = [column.id]
  }
}
