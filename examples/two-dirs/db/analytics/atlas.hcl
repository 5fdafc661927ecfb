# The analytics database (MySQL / MariaDB).
env "prod" {
  url = getenv("ANALYTICS_DATABASE_URL")
  dev = getenv("ANALYTICS_DEV_URL")
  src = "file://schema.hcl"
}
