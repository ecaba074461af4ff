package basiq

import (
	"context"
	"strings"
)

// ListConnectorsOptions narrows GET /connectors. Empty fields are ignored.
type ListConnectorsOptions struct {
	ID       string   // e.g. AU00000
	Method   string   // web, open-banking, pdf, csv
	Statuses []string // operational, degraded-performance, …
	Stage    string   // live, beta, alpha
	Country  string   // Australia, New Zealand
}

// ListConnectors lists institutions with their access methods and status.
func (c *Client) ListConnectors(ctx context.Context, o ListConnectorsOptions) (*List[Connector], error) {
	var f Filter
	add := func(field, v string) {
		if v != "" {
			f = append(f, Eq(field, v))
		}
	}
	add("connector.id", o.ID)
	add("connector.method", o.Method)
	add("connector.stage", o.Stage)
	add("connector.institution.country", o.Country)
	if len(o.Statuses) > 0 {
		f = append(f, In("connector.status", o.Statuses...))
	}
	q, err := filterQuery(f)
	if err != nil {
		return nil, err
	}
	key := q.Encode()
	if l, ok := c.connectors.get(key, c.now(), c.connectorTTL); ok {
		return l, nil
	}
	l, err := listPage[Connector](ctx, c, "/connectors", q, PageOptions{})
	if err != nil {
		return nil, err
	}
	c.connectors.put(key, l, c.now())
	return l.clone(), nil
}

// GetConnector fetches one institution's connector for one access method.
func (c *Client) GetConnector(ctx context.Context, connectorID, method string) (*Connector, error) {
	path, err := idPath("connectors", ":connector id", connectorID, ":method", method)
	if err != nil {
		return nil, err
	}
	var conn Connector
	if err := c.getJSON(ctx, path, nil, &conn); err != nil {
		return nil, err
	}
	return &conn, nil
}

// Connector is one institution reachable by one access method.
type Connector struct {
	Type          string               `json:"type"`
	ID            string               `json:"id"`
	Method        string               `json:"method"`
	Stage         string               `json:"stage"`
	Status        string               `json:"status"`
	Institution   ConnectorInstitution `json:"institution"`
	Scopes        []string             `json:"scopes"`
	Authorization struct {
		Type string `json:"type"`
	} `json:"authorization"`
	Stats struct {
		AverageDurationMs map[string]int64 `json:"averageDurationMs"`
	} `json:"stats"`
	Links Links `json:"links"`
}

// ConnectorInstitution describes the bank behind a connector.
type ConnectorInstitution struct {
	Type      string `json:"type"`
	Name      string `json:"name"`
	ShortName string `json:"shortName"`
	Tier      string `json:"tier"`
	Country   string `json:"country"`
}

// MethodOpenBanking is the Open Banking (CDR) access method. Basiq's files
// spell it "openbanking" (connection examples, the connector enum) and
// "open-banking" (connector filters, the docs' own calls); NormalMethod
// reads both as this one.
const MethodOpenBanking = "open-banking"

// NormalMethod returns an access method in one spelling, so that a
// connection's method and a connector's compare equal.
func NormalMethod(m string) string {
	if strings.EqualFold(m, "openbanking") || strings.EqualFold(m, MethodOpenBanking) {
		return MethodOpenBanking
	}
	return m
}

// Connector statuses, as Basiq spells them.
const (
	ConnectorOperational      = "operational"
	ConnectorDegraded         = "degraded-performance"
	ConnectorPartialOutage    = "partial-outage"
	ConnectorMajorOutage      = "major-outage"
	ConnectorUnderMaintenance = "under-maintenance"
)

var connectorSeverity = map[string]int{ConnectorOperational: 0, ConnectorUnderMaintenance: 1,
	ConnectorDegraded: 2, ConnectorPartialOutage: 3, ConnectorMajorOutage: 4}

// WorseStatus returns the more severe of two connector statuses. A status
// Basiq adds later counts as a partial outage until this client knows it:
// unknown is not the same as fine.
func WorseStatus(a, b string) string {
	if severity(b) > severity(a) {
		return b
	}
	return a
}

func severity(status string) int {
	if s, ok := connectorSeverity[status]; ok {
		return s
	}
	return connectorSeverity[ConnectorPartialOutage]
}
