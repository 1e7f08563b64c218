"""The AWS Backup restore-test validation Lambda: handler.py runs in AWS, package.py builds what is shipped."""
