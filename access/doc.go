// Package access is the S3 access model: it combines every collected layer
// (SCP, RCP, BPA, bucket policy, ACL, KMS, identity, VPC endpoint) of an
// inventory snapshot into a per-bucket access matrix and findings: it
// decides, and fills package model's document (report.json), which
// package report writes.
package access
