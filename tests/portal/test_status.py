import pytest

from notification.models import Direction
from wso_portal.models import ServiceStatus as S
from wso_portal.status import notification_status, usage_status


@pytest.mark.parametrize(
    ("statuses", "default", "expected"),
    [
        ([], S.NOT_CONTRACTED, "未契約"),
        ([], S.IN_USE, "利用中"),
        ([], S.NOTIFY, "通知"),
        (["利用中"], S.NOT_CONTRACTED, "利用中"),
        (["登録中"], S.NOT_CONTRACTED, "登録中"),
        (["変更中"], S.NOT_CONTRACTED, "変更中"),
        (["廃止中"], S.NOT_CONTRACTED, "廃止中"),
        (["廃止中", "廃止中"], S.NOT_CONTRACTED, "廃止中"),
        # (※) several applications for one service at once: 利用中
        (["利用中", "変更中"], S.NOT_CONTRACTED, "利用中"),
        (["登録中", "廃止中"], S.NOT_CONTRACTED, "利用中"),
        (["登録中", "変更中"], S.NOT_CONTRACTED, "利用中"),
        (["利用中", "登録中", "変更中", "廃止中"], S.NOT_CONTRACTED, "利用中"),
    ],
)
def test_usage_status(statuses, default, expected):
    assert usage_status(statuses, default=default) == expected


@pytest.mark.parametrize(
    ("notifying", "directions", "expected"),
    [
        (False, [], "---"),
        (True, [], "通知"),
        (False, [Direction.NOTIFY], "登録中"),
        (True, [Direction.NOTIFY], "登録中"),
        (True, [Direction.STOP], "変更中"),
        (True, [Direction.STOP, Direction.STOP], "変更中"),
        (True, [Direction.NOTIFY, Direction.STOP], "利用中"),
    ],
)
def test_notification_status(notifying, directions, expected):
    assert notification_status(notifying=notifying, open_directions=directions) == expected
