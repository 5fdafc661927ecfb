schema "public" {
  comment = "app"
}
enum "status" {
  schema = schema.public
  values = ["active", "gone"]
}
table "users" {
  schema  = schema.public
  comment = "people"
  column "id" {
    type     = bigint
    identity {
      generated = ALWAYS
      start     = 10
    }
  }
  column "email" {
    type    = varchar(255)
    default = "x@example.com"
  }
  column "status" {
    type = enum.status
    null = true
  }
  column "score" {
    type    = decimal(10, 2)
    default = 0
  }
  column "meta" {
    type    = jsonb
    default = sql("'{}'::jsonb")
  }
  primary_key {
    columns = [column.id]
  }
  index "users_email" {
    unique  = true
    columns = [column.email]
    where   = "status <> 'gone'"
  }
  check "score_positive" {
    expr = "score >= 0"
  }
}
table "orders" {
  schema = schema.public
  column "id" {
    type = int
  }
  column "user_id" {
    type = bigint
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "orders_user" {
    columns     = [column.user_id]
    ref_columns = [table.users.column.id]
    on_delete   = CASCADE
  }
  partition {
    type    = RANGE
    columns = [column.id]
  }
}
