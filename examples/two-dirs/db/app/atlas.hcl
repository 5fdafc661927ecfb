# The application database (PostgreSQL). Secrets come from the environment, never from git.
env "prod" {
  url = getenv("APP_DATABASE_URL")
  dev = getenv("APP_DEV_URL")
  src = "file://schema.hcl"
  schemas = ["public"]
  diff {
    skip {
      drop_schema = true
    }
  }
}
