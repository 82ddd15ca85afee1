"""Public components (公共组件) that systems build on instead of each building their own."""

from __future__ import annotations

from catalog.demo.departments import dept_code
from catalog.model import Component

ID_AUTH = "CMP-350200-01"
SEAL = "CMP-350200-02"
ELICENSE = "CMP-350200-03"
PAYMENT = "CMP-350200-04"
LOGISTICS = "CMP-350200-05"
SMS = "CMP-350200-06"
SIGNATURE = "CMP-350200-07"
EXCHANGE = "CMP-350200-08"
FACE = "CMP-350200-09"
BOOKING = "CMP-350200-10"
ARCHIVE = "CMP-350200-11"
RATING = "CMP-350200-12"


def components() -> list[Component]:
    """Every demo public component."""
    # fmt: off
    rows = (
        (ID_AUTH, "统一身份认证（i厦门）", "SJJ", "身份认证",
         "依托“i厦门”为自然人和法人提供统一注册、实名认证和单点登录，对接国家政务服务平台统一身份认证。"),
        (SEAL, "电子印章", "SJJ", "电子印章",
         "为各部门和企业提供电子印章制发、用印和验章服务，电子印章与实物印章同步制发。"),
        (ELICENSE, "电子证照", "SJJ", "电子证照",
         "提供电子证照制证、签发、归集、查询核验和授权用证服务，对接全国一体化政务服务平台电子证照系统。"),
        (PAYMENT, "统一支付", "CZ", "支付",
         "统一公共支付平台，支持政务服务收费和非税收入的线上线下缴款及对账。"),
        (LOGISTICS, "统一物流", "ZWFW", "物流寄递",
         "政务服务材料和证照的免费寄递，提供下单、揽收、投递状态跟踪。"),
        (SMS, "短信", "SJJ", "消息通知", "统一短信发送通道，提供办件进度提醒和验证码服务。"),
        (SIGNATURE, "电子签名", "SJJ", "电子签名",
         "基于数字证书的可靠电子签名和签名验证，支持个人和法人手写签名与时间戳。"),
        (EXCHANGE, "数据共享交换", "SJJ", "数据共享",
         "政务数据共享交换通道，提供接口代理、库表交换、文件交换和调用计量。"),
        (FACE, "人脸识别", "GA", "身份核验",
         "基于公安人口库的人像比对和活体检测，用于线上办事和自助终端实名核验。"),
        (BOOKING, "统一预约", "ZWFW", "预约排队", "全市政务服务大厅统一预约、取号、排队叫号服务。"),
        (ARCHIVE, "电子档案", "ZWFW", "电子归档",
         "办件材料和审批结果的电子化归档，满足电子文件单套制归档要求。"),
        (RATING, "好差评", "ZWFW", "评价", "政务服务“好差评”评价采集、差评整改和回访。"),
    )
    # fmt: on
    return [
        Component(code=code, name=name, department=dept_code(dept), category=cat, summary=summary)
        for code, name, dept, cat, summary in rows
    ]
