schema "public" {}

table "accounts" {
  schema = schema.public
  column "id" {
    type = bigint
    identity {
      generated = BY_DEFAULT
    }
  }
  column "email" {
    type = varchar(255)
  }
  column "created_at" {
    type    = timestamptz
    default = sql("now()")
  }
  primary_key {
    columns = [column.id]
  }
  index "accounts_email_key" {
    unique  = true
    columns = [column.email]
  }
}
