schema "analytics" {}

table "events" {
  schema = schema.analytics
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "name" {
    type = varchar(64)
  }
  column "at" {
    type = datetime
  }
  primary_key {
    columns = [column.id]
  }
  index "events_name_at" {
    columns = [column.name, column.at]
  }
}
