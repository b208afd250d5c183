// The Medusa v2 server of `make integration` (tests/integration/medusa_server.py copies this file into
// .cache/medusa/ beside the packages of package-lock.json): PostgreSQL only, no Redis (the development
// defaults: in-memory cache, local event bus, in-memory workflow engine and locking), no admin dashboard
// (it would be built with Vite first).
const { defineConfig } = require("@medusajs/framework/utils")

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    http: {
      storeCors: "http://127.0.0.1",
      adminCors: "http://127.0.0.1",
      authCors: "http://127.0.0.1",
      jwtSecret: process.env.JWT_SECRET,
      cookieSecret: process.env.COOKIE_SECRET,
    },
  },
  admin: { disable: true },
})
