"""Dev lines for what blind evaluations after v10 found, by class: a scammer's number quoted
in a warning, a scammer's text forwarded as a warning, masked numbers and a police notice
quoting a lure are no alarm; a picture of a document described with whose it is, an
e-mail address after 本人 and a name, a neighbour's door with their name, a pregnancy or
an illness with the writer's name and home, and a medical record with a name are
personal data. Self-written lines, not an eval set."""

from __future__ import annotations

import pytest

from guard import pii
from guard.detect import check
from guard.pii import find_pii, mask_pii
from tests.unit.floods import assert_cheap, flood
from tests.unit.test_guard_pii import kinds

# ---------------------------------------------------------------- a scammer's number


@pytest.mark.parametrize(
    "text",
    [
        "刚才17045236618这个号打来冒充快递理赔，说我包裹丢了要赔我钱，大家别接啊",
        "大家注意 17045236618 这个号码冒充京东客服说要退款 我已经报警了",
        "这个号13379541286给我老妈打电话说是医保局的 让她按1 各位家里有老人的提醒一下",
        "提醒大家 今天下午一个15609517723的打电话说是社保局的 让我把卡里钱转到安全账户 千万别信",
        "18995123366 冒充孩子班主任要交资料费 家长们注意了 已经举报",
        "骗子电话：19912345678，说是抖音客服要帮我关闭百万保障，大家千万别理",
        "@所有人 16532451123 这个号又在打 冒充物业说燃气欠费要停气 让加微信交费 别上当",
        "警方提醒：近期 17095123456、17095123457 等号码频繁冒充客服来电，请勿接听",
        "各位街坊 陌生号码15378906612打来说你孩子出事了要打钱 千万别信 先给孩子打电话",
        "我爸接到个电话 来电显示13895012277 自称派出所的 说他涉嫌洗钱 吓得老汉手都抖了 大家小心",
        "又是16721093458 说能修复征信 先交手续费 征信哪能花钱修 骗子",
        "孩子刚毕业 就接到17054420339的电话 说校园贷要注销 不然影响征信 大家家里大学生注意",
        "我这边也接到了 也是170开头 17073360915 说理赔的 大家一起拉黑举报",
        "我妈的老年机刚接的 对方自称法院的 号码13895027736 说她有传票 都是骗子 直接挂",
        "这个号幺七零 四四八三 六二九一 天天打来推贷款 大家别接",
    ],
)
def test_a_scammers_number_in_a_warning_is_no_ones_personal_data(text: str) -> None:
    assert check(text).is_ok
    assert "****" in mask_pii(text)  # masked in logs all the same


@pytest.mark.parametrize(
    "text",
    [
        "我叫王芳，我的电话13812345678，刚才有骗子冒充客服打来，麻烦民警回个电话",
        "联系电话13709514488，我被诈骗了两万块钱，怎么报案",
        "我儿子电话13995106677被人冒充了 骗子用他名义借钱 大家别信",
        "有事打我13619512288 刚才那个冒充物业的号码我已经拉黑了",
    ],
)
def test_the_writers_or_a_relatives_number_in_a_warning_stays_personal(text: str) -> None:
    assert check(text).verdict == "pii"


def test_a_caller_needs_a_word_by_the_number() -> None:
    text = "13812345678 刚才有人冒充客服给我打电话"  # someone else called
    phone = next(f for f in find_pii(text) if f.kind == "phone")
    assert not pii.caller_number(text, phone)


# ---------------------------------------------------------------- forwarded texts


@pytest.mark.parametrize(
    "text",
    [
        "收到这条短信大家小心：【工商银行】您的账户存在异常，将于今日冻结，"
        "请点击链接 icbc-yz.cc 验证身份",
        "转发一下我收到的短信 大家别点 【ETC】您的ETC已失效 请点击 etc-kkl.top 重新认证 否则停用",
        "收到短信：【国家医保】您的医保卡余额即将清零，请于24小时内登录 ybj-gov.cn 激活。"
        "大家别信这个",
        "刚收到这个，转给大家看看：【交管12123】您有一条违章未处理，请点击 12123-wz.cn "
        "缴纳罚款。我问了交警队根本没这事",
        "我妈收到的 大家看看是不是骗子 "
        "【社保中心】您的养老金资格认证未通过 请联系专员15809513344办理",
        "又收到了 各位邻居当心 【顺丰】您的快件丢失 可申请三倍理赔 添加客服微信sfpei88",
        "又收到一条 千万别点 【人社通知】养老金调整补发 请点击 rs-bf.top 填写银行卡领取",
        "我爸手机收到的 大家小心 【医保中心】您的医保账户异常，已冻结，解冻请点击 yb-jd.icu",
        "收到一条奇怪的短信 大家当心 “我是王局长，这是我新号，明天来我办公室，先加我QQ 2741069853”",
    ],
)
def test_a_forwarded_lure_with_a_warning_is_no_alarm(text: str) -> None:
    assert check(text).is_ok


@pytest.mark.parametrize(
    "text",
    [
        "【社保中心】收到本短信的居民请于今日内点击 sb-rz.cn 完成养老金认证，逾期停发",
        "收到短信的朋友请注意：【中国移动】您的积分即将清零，"
        "请点击 yd-jfdh.cc 兑换现金，今日内有效",
    ],
)
def test_a_lure_that_speaks_of_receiving_is_still_one(text: str) -> None:
    assert check(text).verdict == "scam"


# ---------------------------------------------------------------- masked numbers


@pytest.mark.parametrize(
    "text",
    [
        "我叫马秀英 手机尾号5678 身份证后四位1026 麻烦帮我查一下低保批下来没",
        "王建国 138****5678 3号楼",
        "本人李华，电话159****2233，身份证6401***********12X",
        "我是5号楼的刘芳 手机号后四位是0951",
        "车主王师傅 尾号1188 车停在3号楼门口了 挡住消防通道了",
        "卡号6217 **** **** 3345 户名：张**",
        "收款人张**  卡号6217********3345",
        "手机：186****0951 姓名：马**",
        "电话号码一三八****五六七八",
        "138xxxx5678 这是我老公的 有事打他",
    ],
)
def test_masked_numbers_are_no_alarm(text: str) -> None:
    assert check(text).is_ok


def test_a_masked_account_with_money_asked_is_still_read_by_the_model() -> None:
    text = "爱心众筹救命钱 求转发 转这个卡号就行 6228 **** 3715 户名王**"
    assert check(text).verdict != "pii"


# ---------------------------------------------------------------- police notices


@pytest.mark.parametrize(
    "text",
    [
        "警方提醒：凡是自称公检法让您转账到安全账户的都是诈骗，请不要点击陌生链接",
        "【反诈提示】近期有人冒充客服称“您的快递丢失，我们将给您理赔，请添加微信”，这是诈骗！",
        "派出所温馨提示：骗子常说“您的医保卡被冻结，请按1转人工”，接到这类电话请直接挂断",
        "兴庆派出所温馨提示：接到“我是你领导，明天来我办公室，先帮我转笔钱”之类的信息，一定要电话核实",
        "社区民警温馨提示 近期有人冒充社保局发短信称"
        "“您的社保卡需要重新认证 请点击 sbk-rz.cn” 市民切勿点击",
        "派出所提醒：有居民接到17209516655来电自称公安局，要求转账到安全账户，这是诈骗",
    ],
)
def test_a_police_notice_quoting_a_lure_is_no_alarm(text: str) -> None:
    assert check(text).is_ok


# ---------------------------------------------------------------- pictures of documents


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("[图片] 这是我身份证正反面 名字王秀兰 出生1952年3月14日 住址兴庆区解放东街", "id"),
        ("[图片]身份证正面 姓名：马建军 民族：回 出生：1975年8月2日", "id"),
        ("图片：我的身份证 张红梅 6401041985", "id"),
        ("【图片】【图片】我妈的户口本首页和她那页 叫杨桂英", "document"),
        ("[照片] 驾驶证正反面发你了 李国庆", "document"),
    ],
)
def test_a_document_pictured_with_whose_it_is(text: str, kind: str) -> None:
    assert kind in kinds(text)
    assert check(text).verdict == "pii"


@pytest.mark.parametrize(
    "text",
    [
        "[图片] 身份证丢了 谁捡到了麻烦说一声",
        "[图片] 办居住证要带身份证原件和户口本，到社区服务大厅",
        "这是我身份证正反面 名字王秀兰",  # no picture: a name alone is no leak
        "[图片] 大家看看这个小区门口新开的店",
    ],
)
def test_a_picture_without_a_document_or_without_whose_stays_out(text: str) -> None:
    assert check(text).is_ok


# ---------------------------------------------------------------- e-mail addresses


@pytest.mark.parametrize(
    "text",
    [
        "本人李国华，电子邮箱：ligh1965@sina.com，请把表格发我",
        "本人张伟，email: zhangwei0951@gmail.com",
        "本人：孙丽萍  邮箱：sunliping2008@126.com",
        "我叫马晓东 我的邮箱是 mxd19900312@qq.com 材料发这儿",
    ],
)
def test_an_email_after_the_writers_name(text: str) -> None:
    assert "email" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "本人高度重视，意见请发 jmsq_gov@163.com",
        "社区邮箱 xqsq2024@163.com 有意见可以发过来",
    ],
)
def test_an_email_with_no_name_stays_out(text: str) -> None:
    assert "email" not in kinds(text)


# ---------------------------------------------------------------- a neighbour's door


@pytest.mark.parametrize(
    "text",
    [
        "5号楼2单元301的张桂兰老人这两天没下楼 谁能去看看",
        "楼上502的王秀英大妈家水管爆了 水都渗到我家了",
        "2号楼1单元的101张桂兰，她儿子好久没回来了",
        "对门602的李建军天天半夜敲东西",
        "7号楼3单元的602马国庆 你的快递在我这",
    ],
)
def test_a_neighbours_door_with_their_name(text: str) -> None:
    assert kinds(text) == ["address"]


@pytest.mark.parametrize(
    "text",
    [
        "楼上502天天半夜跺脚 吵得睡不着",  # no name
        "2单元的300多户都停水了",
        "隔壁小区的502路公交改线了",
    ],
)
def test_a_door_without_a_name_stays_out(text: str) -> None:
    assert check(text).is_ok


# ---------------------------------------------------------------- health


@pytest.mark.parametrize(
    "text",
    [
        "我叫王丽，住丽景湾3号楼1单元502，怀孕七个月了，能不能帮我申请一下",
        "本人王娟，住枫林湾6号楼402，现在怀孕了 能不能不参加值班",
        "我是4号楼1单元302的赵雪，怀孕38周了，电梯坏了下不去楼",
        "我叫张建军 住在8号楼3单元501 刚做完心脏支架手术 需要帮忙买菜",
    ],
)
def test_a_pregnancy_or_an_illness_with_the_name_and_home(text: str) -> None:
    assert check(text).verdict == "pii"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("本人杨雪，家住金凤区万达小区，怀孕六个月，能不能帮我联系一下社区医生", "杨雪"),
        ("我叫马秀花，住阅海万家C区，有糖尿病，胰岛素用完了", "马秀花"),
        ("我叫刘建国 住在新华街 得了肺癌 化疗中 想申请大病救助", "刘建国"),
        ("本人刘强，家住新华街，前年查出来高血压，一直吃药", "刘强"),
    ],
)
def test_the_writers_own_health_told_across_pauses(text: str, name: str) -> None:
    assert ("health", name) in [(f.kind, f.value) for f in find_pii(text)]


@pytest.mark.parametrize(
    "text",
    [
        "我叫王芳，住幸福小区，想问下糖尿病怎么报销",  # a question about an illness
        "我叫王芳，住3号楼，我妈有糖尿病，社区医生能上门吗",  # the mother's (no name)
        "我怀孕五个月了 楼下装修太吵了能不能管管",  # no name
        "我叫李娜 住在宝湖小区 想问下办居住证要啥材料",
    ],
)
def test_an_illness_not_the_named_writers_stays_out(text: str) -> None:
    assert "health" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("诊断报告 姓名：马国强 性别：男 诊断：2型糖尿病 高血压三级", "马国强"),
        ("诊断证明书 姓名：李秀英 年龄：67 临床诊断：乳腺癌术后", "李秀英"),
        ("检查报告单 姓名 马德福 诊断意见：肺部结节 建议复查", "马德福"),
        ("病历 王桂花 女 72岁 主诉：头晕三天 诊断：高血压病3级", "王桂花"),
        ("宁夏医科大学总医院 门诊病历 姓名：丁玉霞 初步诊断：抑郁症", "丁玉霞"),
        ("姓名：马占林 性别：男 年龄：58岁 诊断：慢性阻塞性肺疾病", "马占林"),
        ("患者：王玉兰 诊断结果：乳腺恶性肿瘤", "王玉兰"),
        ("体检报告 姓名：刘桂花 结论：肝功能异常 乙肝小三阳", "刘桂花"),
    ],
)
def test_a_medical_record_with_a_name(text: str, name: str) -> None:
    assert ("health", name) in [(f.kind, f.value) for f in find_pii(text)]
    assert name not in mask_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "诊断证明去哪里开？要不要带身份证",
        "姓名：王** 诊断：高血压 这样发群里可以吧",
        "报名结果 姓名：李国华 结论：通过",  # an exam's conclusion
        "高血压义诊 诊断：免费测血压 地点社区卫生站",
    ],
)
def test_a_record_without_a_name_or_a_diagnosis_stays_out(text: str) -> None:
    assert "health" not in kinds(text)


@pytest.mark.parametrize(
    "unit",
    [
        "姓名：马国强 诊断：",
        "病历 王桂花 主诉：",
        "诊断 ",
        "本人张伟 ",
        "[图片]我的身份证 ",
        "楼上502的",
        "6217 **** ",
        "17045236618这个号打来冒充",
        "收到这条短信大家小心",
        "我叫王芳 住3号楼 有糖尿病 ",
        "我叫王芳 住",
    ],
)
def test_floods_of_the_new_forms_stay_fast(unit: str) -> None:
    assert_cheap(flood(unit))


@pytest.mark.parametrize("head", ["姓名", "诊断", "本人", "楼上", "6217"])
def test_a_word_then_a_flood_of_spaces_stays_fast(head: str) -> None:
    for filler in (" ", "*", "\n"):
        assert_cheap(head + filler * 20000 + "x")
