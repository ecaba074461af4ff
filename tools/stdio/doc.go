// Package stdio holds what the stdio transport needs of the process's
// standard streams beyond mcp-go.
package stdio
