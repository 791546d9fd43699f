package model

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaURL is the $id of report.schema.json.
const schemaURL = "https://github.com/bucketaudit/bucketaudit/model/report.schema.json"

// CompileSchema compiles report.json's JSON Schema (formats asserted).
func CompileSchema() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("report schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("report schema: %w", err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("report schema: %w", err)
	}
	return sch, nil
}

// ValidateJSON checks a report.json text against the JSON Schema.
func ValidateJSON(data []byte) error {
	sch, err := CompileSchema()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("report.json: %w", err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("report.json does not match its schema: %w", err)
	}
	return nil
}

//go:embed report.schema.json
var schema []byte

// Schema returns the JSON Schema of report.json.
func Schema() []byte { return append([]byte(nil), schema...) }
