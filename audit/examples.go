package audit

import "strings"

// publishedExample is a credential its issuer prints in its own documentation as a placeholder:
// it grants nothing, and SDKs, their type files and docs carry it. Trivy's secret scanner and
// gitleaks skip these too (trivy: any match with "example" in it; gitleaks: AWS key ids ending
// in EXAMPLE, and AKIAIOSFODNN7EXAMPLE by name).
type publishedExample struct {
	value  string
	source string
}

// awsCLICredentialsPage is where AWS documents its two example key pairs.
const awsCLICredentialsPage = "https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html"

// publishedExamples are the example credentials the checks allow, each with where it is published.
var publishedExamples = []publishedExample{
	{"AKIAIOSFODNN7EXAMPLE", awsCLICredentialsPage},
	{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", awsCLICredentialsPage},
	{"AKIAI44QH8DHBEXAMPLE", awsCLICredentialsPage},
	{"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", awsCLICredentialsPage},
}

// awsExampleSuffix ends every access key id AWS's documentation shows (its naming convention for
// placeholders); a real key id is random base32, which ends so once in 32^7.
const awsExampleSuffix = "EXAMPLE"

// publishedExampleMatch says whether a rule's match is, or holds as its value, a published
// example rather than a secret.
func publishedExampleMatch(rule, match string) bool {
	if rule == "aws-access-key-id" && strings.HasSuffix(match, awsExampleSuffix) {
		return true
	}
	for _, ex := range publishedExamples {
		if match == ex.value || strings.HasSuffix(match, ex.value) && !alnum(match[len(match)-len(ex.value)-1]) {
			return true
		}
	}
	return false
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
