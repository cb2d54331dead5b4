from careforall_common.celery import make_celery

app = make_celery("common-tests")
