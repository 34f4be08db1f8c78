package pitr

import (
	"errors"
	"fmt"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"
)

// rdsCode is the AWS error code of err ("" when err is no API error).
func rdsCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// rdsNotFound reports whether err says the instance or cluster does not exist.
func rdsNotFound(err error) bool {
	switch rdsCode(err) {
	case "DBInstanceNotFound", "DBInstanceNotFoundFault", "DBClusterNotFoundFault", "DBClusterNotFound":
		return true
	}
	return false
}

// rdsAlreadyExists reports whether err says the target already exists.
func rdsAlreadyExists(err error) bool {
	switch rdsCode(err) {
	case "DBInstanceAlreadyExists", "DBInstanceAlreadyExistsFault", "DBClusterAlreadyExistsFault", "DBClusterAlreadyExists":
		return true
	}
	return false
}

// rdsFault turns an error of an RDS call (op) on cluster into one line.
// An API error's own message is logged, never returned: what the user sees
// is the call, AWS's error code and what to do. Errors that retrying cannot
// fix (parameters, permissions, quotas, a missing source or subnet group)
// are non-retryable refusals; throttling, 5xx, network errors and anything
// else are retryable.
func (r *RDSCloner) rdsFault(op string, c rdsCluster, err error) error {
	code := rdsCode(err)
	if code == "" {
		return fmt.Errorf("RDS %s for cluster %s: %w", op, c.Name, err)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	r.Logger.Warn("RDS call failed", zap.String("op", op), zap.String("cluster", c.Name),
		zap.String("code", code), zap.Int("http_status", status), zap.Error(err))
	if hint, permanent := rdsPermanent(code, c); permanent {
		return refuse("RDS %s for cluster %s refused (%s): %s", op, c.Name, code, hint)
	}
	return fmt.Errorf("RDS %s for cluster %s failed (%s, HTTP %d); it will be retried", op, c.Name, code, status)
}

// rdsPermanent says whether an AWS error code is one retrying cannot fix,
// and what to do about it.
func rdsPermanent(code string, c rdsCluster) (string, bool) {
	switch code {
	case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled":
		return "", false
	case "PointInTimeRestoreNotEnabled":
		return fmt.Sprintf("point-in-time restore is not enabled on %s: turn automated backups on", c.source()), true
	case "DBInstanceNotFound", "DBInstanceNotFoundFault", "DBClusterNotFoundFault":
		return fmt.Sprintf("%s does not exist in region %s: check rds.instance_identifier or rds.cluster_identifier and rds.region", c.source(), c.rds.Region), true
	case "DBSubnetGroupNotFoundFault", "DBSubnetGroupDoesNotCoverEnoughAZs", "InvalidSubnet", "InvalidVPCNetworkStateFault", "InvalidDBSubnetGroupStateFault":
		return fmt.Sprintf("the subnet group %q or security groups %v cannot place the clone: check rds.subnet_group and rds.security_groups", c.rds.SubnetGroup, c.rds.SecurityGroups), true
	case "KMSKeyNotAccessibleFault":
		return "the source's KMS key is not usable by this account: grant kms:CreateGrant and kms:DescribeKey on it", true
	case "InvalidRestoreFault", "StorageTypeNotSupported", "UnsupportedDBEngineVersion", "NetworkTypeNotSupported":
		return fmt.Sprintf("RDS cannot make this clone as described: check rds.instance_class %q and the other rds settings of cluster %s", c.rds.InstanceClass, c.Name), true
	}
	for _, p := range []string{"AccessDenied", "UnauthorizedOperation", "NotAuthorized", "AuthFailure", "InvalidClientTokenId",
		"SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationToken", "UnrecognizedClient", "OptInRequired"} {
		if strings.Contains(code, p) {
			return "the worker's AWS identity may not do this: give it the RDS permissions listed in docs/aws.md", true
		}
	}
	if strings.Contains(code, "Quota") || (strings.Contains(code, "LimitExceeded") && code != "RequestLimitExceeded") {
		return "an AWS quota is reached: raise it, or delete old clones (tag " + TagRDSClone + ")", true
	}
	if strings.HasPrefix(code, "InvalidParameter") || code == "MissingParameter" || code == "ValidationError" || code == "InvalidAction" {
		return fmt.Sprintf("AWS rejected a parameter: check the rds section of cluster %s in the platform description", c.Name), true
	}
	return "", false
}
