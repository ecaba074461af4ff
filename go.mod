module github.com/basiq-mcp/basiq-mcp

go 1.26

require (
	github.com/getkin/kin-openapi v0.152.0 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
)
