variable "db" {
  type    = string
  default = "shop"
}
schema "shop" {
  charset = "utf8mb4"
  collate = "utf8mb4_general_ci"
}
table "items" {
  schema = schema.shop
  column "id" {
    type           = int
    unsigned       = true
    auto_increment = true
  }
  column "name" {
    type    = varchar(64)
    charset = "latin1"
  }
  column "kind" {
    type = enum("a", "b", "c")
  }
  column "updated" {
    type      = timestamp
    default   = sql("CURRENT_TIMESTAMP")
    on_update = sql("CURRENT_TIMESTAMP")
  }
  primary_key {
    columns = [column.id]
  }
  index "by_name" {
    on {
      column = column.name
      prefix = 10
      desc   = true
    }
  }
}
