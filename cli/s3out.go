package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/report"
)

// s3Scheme prefixes an S3 location of a snapshot or of the reports.
const s3Scheme = "s3://"

// s3Location is s3://bucket/key.
type s3Location struct{ bucket, key string }

func (l s3Location) String() string { return s3Scheme + l.bucket + "/" + l.key }

// parseS3 parses s3://bucket/key; ok is false for a local path.
func parseS3(s string) (loc s3Location, ok bool, err error) {
	rest, ok := strings.CutPrefix(s, s3Scheme)
	if !ok {
		return s3Location{}, false, nil
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return s3Location{}, true, fmt.Errorf("%q: no bucket (want s3://bucket/prefix)", s)
	}
	return s3Location{bucket: bucket, key: strings.TrimSuffix(key, "/")}, true, nil
}

// outputOperations are the only calls the output writer may make.
func outputOperations() []string { return []string{"PutObject", "GetObject", "ListObjectsV2"} }

// outputStore reads and writes snapshots and reports, locally or at s3://
// locations. Its S3 client is its own: the process's default credentials
// (never the audit role, which the scanner's session alone assumes), and a
// guard that refuses every operation but outputOperations; the scanner's
// read-only guard is not weakened by it.
type outputStore struct {
	endpointURL, region string
	base                *aws.Config           // loaded on first use
	clients             map[string]*s3.Client // by region
	bucketRegion        map[string]string     // learnt from redirects
}

func newOutputStore(endpointURL, region string) *outputStore {
	return &outputStore{endpointURL: endpointURL, region: region}
}

// writerGuard refuses, before sending, every operation of the writer but
// outputOperations.
type writerGuard struct{}

func (writerGuard) ID() string { return "BucketauditOutputWriterGuard" }

func (writerGuard) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	op := awsmiddleware.GetOperationName(ctx)
	for _, ok := range outputOperations() {
		if op == ok {
			return next.HandleInitialize(ctx, in)
		}
	}
	return middleware.InitializeOutput{}, middleware.Metadata{}, fmt.Errorf("output writer: S3 %s is not one of %s; refused before sending", op, strings.Join(outputOperations(), ", "))
}

// s3 returns the writer's client for bucket: in the store's region, or
// in the bucket's own once a redirect has named it.
func (o *outputStore) s3(ctx context.Context, bucket string) (*s3.Client, error) {
	if o.base == nil {
		var opts []func(*awsconfig.LoadOptions) error
		if o.region != "" {
			opts = append(opts, awsconfig.WithRegion(o.region))
		}
		cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("output writer: %w", err)
		}
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
		o.base, o.clients, o.bucketRegion = &cfg, map[string]*s3.Client{}, map[string]string{}
	}
	region := o.base.Region
	if r := o.bucketRegion[bucket]; r != "" {
		region = r
	}
	if c := o.clients[region]; c != nil {
		return c, nil
	}
	c := s3.NewFromConfig(*o.base, func(so *s3.Options) {
		so.Region = region
		if o.endpointURL != "" {
			so.BaseEndpoint = aws.String(o.endpointURL)
			so.UsePathStyle = true
		}
		so.APIOptions = append(so.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(writerGuard{}, middleware.Before)
		})
	})
	o.clients[region] = c
	return c, nil
}

// call runs f with the client for bucket; when S3 answers that the bucket
// lives in another region (a 301 with x-amz-bucket-region), once more
// there.
func (o *outputStore) call(ctx context.Context, bucket string, f func(*s3.Client) error) error {
	c, err := o.s3(ctx, bucket)
	if err != nil {
		return err
	}
	err = f(c)
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode != http.StatusMovedPermanently {
		return err
	}
	region := re.Response.Header.Get("X-Amz-Bucket-Region")
	if region == "" || region == c.Options().Region {
		return err
	}
	o.bucketRegion[bucket] = region
	if c, err = o.s3(ctx, bucket); err != nil {
		return err
	}
	return f(c)
}

func (o *outputStore) put(ctx context.Context, loc s3Location, body io.ReadSeeker) error {
	err := o.call(ctx, loc.bucket, func(c *s3.Client) error {
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return err
		}
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(loc.bucket), Key: aws.String(loc.key), Body: body})
		return err
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", loc, err)
	}
	return nil
}

// saveSnapshot saves doc at p (a file, or s3://bucket/key.json|.yaml).
func (o *outputStore) saveSnapshot(ctx context.Context, p string, doc *inventory.Document) error {
	loc, isS3, err := parseS3(p)
	switch {
	case err != nil:
		return err
	case !isS3:
		return inventory.Save(p, doc)
	}
	ext := strings.ToLower(path.Ext(loc.key))
	if ext != ".json" && ext != ".yaml" && ext != ".yml" {
		return fmt.Errorf("save inventory %s: unknown extension (want .json, .yaml or .yml)", p)
	}
	data, err := inventory.Marshal(doc, ext != ".json")
	if err != nil {
		return err
	}
	return o.put(ctx, loc, bytes.NewReader(data))
}

// loadSnapshot loads the inventory document at p (a file or s3://).
func (o *outputStore) loadSnapshot(ctx context.Context, p string) (*inventory.Document, error) {
	loc, isS3, err := parseS3(p)
	switch {
	case err != nil:
		return nil, err
	case !isS3:
		return loadSnapshot(p)
	}
	var data []byte
	err = o.call(ctx, loc.bucket, func(c *s3.Client) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.bucket), Key: aws.String(loc.key)})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		data, err = io.ReadAll(out.Body)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read inventory %s: %w", p, err)
	}
	doc, err := inventory.Parse(data, p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return doc, nil
}

// expand is expandPatterns for s3:// patterns too: the keys under the
// pattern's fixed prefix that path.Match the pattern, in key order.
func (o *outputStore) expand(ctx context.Context, args []string) ([]string, error) {
	var local, out []string
	flush := func() error {
		if len(local) == 0 {
			return nil
		}
		exp, err := expandPatterns(local)
		out, local = append(out, exp...), nil
		return err
	}
	for _, a := range args {
		loc, isS3, err := parseS3(a)
		if err != nil {
			return nil, err
		}
		if !isS3 {
			local = append(local, a)
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		i := strings.IndexAny(loc.key, "*?[")
		if i < 0 {
			out = append(out, a)
			continue
		}
		if _, err := path.Match(loc.key, ""); err != nil {
			return nil, fmt.Errorf("pattern %q: %v", a, err)
		}
		var matched []string
		err = o.call(ctx, loc.bucket, func(c *s3.Client) error {
			matched = nil
			p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(loc.bucket), Prefix: aws.String(loc.key[:i])})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				for _, obj := range page.Contents {
					if ok, _ := path.Match(loc.key, aws.ToString(obj.Key)); ok {
						matched = append(matched, s3Location{loc.bucket, aws.ToString(obj.Key)}.String())
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", a, err)
		}
		if len(matched) == 0 {
			return nil, fmt.Errorf("pattern %q matches no object", a)
		}
		out = append(out, matched...)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// writeReports is analyzeAndWrite into outDir, a directory or an s3://
// prefix: the reports are then written into a temporary directory (with
// their spools) and uploaded, and the paths returned are their s3://
// locations.
func (o *outputStore) writeReports(ctx context.Context, doc *inventory.Document, sources []string, outDir string, formats []string, an analysis, layout report.Layout) (*written, error) {
	loc, isS3, err := parseS3(outDir)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: --output-dir: %v", ErrUsage, err)
	case !isS3:
		return analyzeAndWrite(ctx, doc, sources, outDir, formats, an, layout)
	}
	tmp, err := os.MkdirTemp("", "bucketaudit-reports-")
	if err != nil {
		return nil, fmt.Errorf("write reports: %w", err)
	}
	defer os.RemoveAll(tmp)
	out, err := analyzeAndWrite(ctx, doc, sources, tmp, formats, an, layout)
	if err != nil {
		return nil, err
	}
	var uploaded []string
	for _, p := range out.paths {
		key := path.Join(loc.key, filepath.Base(p))
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("write reports: %w", err)
		}
		err = o.put(ctx, s3Location{loc.bucket, key}, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("write reports: %w", err)
		}
		uploaded = append(uploaded, s3Location{loc.bucket, key}.String())
	}
	out.paths = uploaded
	return out, nil
}
