"""Write guard/corpus_personal/personal_v1.jsonl: neighbours' talk of a specific person's
private matters (label "pii") and the hard negatives beside it (label "ok"), composed
from the class descriptions of issue 19 (a person named by full name, surname and title,
kin word, nickname, job or home; an illness, a record, a debt, a divorce or an affair)
and the same matters said of no one, of the writer or the writer's unnamed family, of a
public figure, in a notice, an advert or a request for help; and the same people in
everyday talk. Seeded: the same file every run. Lines of the development set
(tests/unit/data/personal_v17.jsonl) are left out.

    .venv/bin/python bench/personal_corpus.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "guard" / "corpus_personal" / "personal_v1.jsonl"
DEV = ROOT / "tests" / "unit" / "data" / "personal_v17.jsonl"
SEED = 23

# Who: a specific person, as neighbours name each other.
PEOPLE = [
    "老李",
    "老王头",
    "王姐",
    "孙大姐",
    "张阿姨",
    "刘叔",
    "赵师傅",
    "陈老师",
    "马大爷",
    "周奶奶",
    "老周媳妇",
    "老李家那口子",
    "老杨家儿子",
    "吴姐家闺女",
    "门卫老吴",
    "保安小刘",
    "物业的小何",
    "开超市的老黄",
    "卖菜的张嫂",
    "楼下修车的刘师傅",
    "13号楼的老郭",
    "5栋的何阿姨",
    "101的老太太",
    "702那家的男的",
    "住我对门的小伙子",
    "隔壁单元的田姐",
    "楼上那家的女的",
    "3单元二楼的老汉",
    "我们楼的郑大哥",
    "李建国",
    "王秀兰",
    "张丽华",
    "刘海军",
    "陈志强",
    "杨慧",
    "胖姐",
    "大刘",
    "二狗他爸",
    "小芳她妈",
    "跳广场舞的胡姨",
    "社区超市的老板娘",
    "前面那栋的冯老师",
    "谢大夫家的儿子",
    "韩老师家的媳妇",
    "老蒋",
    "小马",
    "8号楼的马秀英",
    "4-2-301的老太太",
    "对门老赵",
    "2单元的宋姐",
    "开出租的老彭",
    "幼儿园的丁老师",
    "楼下理发店的小董",
    "老潘家的大孙子",
    "健身队的曹大哥",
    "604的小两口",
    "快递站的小梁",
    "袁大妈",
    "6号楼那个姓魏的",
    "邓主任",
    "卖早点的任师傅",
    "唐奶奶家的小儿子",
    "住一楼的钟叔",
    "许会计",
]
# What: a private matter, said after the person.
MATTERS = {
    "health": [
        "查出来肺癌了",
        "得了胃癌，在肿瘤医院化疗呢",
        "有抑郁症，前阵子吃药自杀过",
        "糖尿病好多年了，天天打胰岛素",
        "有羊角风，犯起来吓死人",
        "是艾滋病感染者",
        "脑子有问题，精神分裂，一直在吃药",
        "脑梗了，现在半身不遂",
        "肾衰竭了，一周透析三次",
        "生不了孩子，做了好几次试管都没成",
        "当兵回来就有创伤后应激障碍",
        "瘫了，办了残疾证",
        "家一直吃低保",
        "是乙肝大三阳",
        "得了尿毒症，等着换肾",
        "老年痴呆越来越重了",
        "有躁郁症，发作起来摔东西",
        "中风以后说话都不利索了",
        "肝硬化晚期了",
        "心脏搭了三个支架",
        "得了白血病，在到处筹钱",
        "是二级智力残疾",
        "宫外孕刚做完手术",
        "乳腺癌切了一边",
        "染上了梅毒",
        "得了帕金森，手一直抖",
        "腿截肢了，拿的残疾证",
        "有严重的焦虑症，门都不敢出",
        "抑郁得厉害，割过腕",
        "子宫切除了，不能生了",
        "查出来HIV阳性",
        "精神病又犯了，被家里人送去住院了",
        "肠癌做了手术，现在挂着粪袋",
        "得的是淋巴癌，头发都掉光了",
        "是抑郁症，整天关在屋里不出门",
        "喝过农药，抢救回来的",
        "血糖十几了，胰岛素一天打三针",
        "犯癫痫摔在楼梯上，头都磕破了",
        "肾不行了，天天跑医院洗肾",
        "那方面不行，所以一直没孩子",
        "是精神残疾，拿着残疾证",
        "脑出血以后就瘫在床上了",
        "有狂躁症，犯起病来吓人",
        "查出艾滋以后老婆就跟他离了",
        "是低保户，每个月领几百块",
        "肝癌晚期，医院都不收了",
        "得了渐冻症，现在话都说不清",
    ],
    "record": [
        "以前偷东西判过刑",
        "坐过牢，前年才放出来",
        "年轻时候贩过毒",
        "酒驾被判了拘役",
        "跟人打架被拘了十五天",
        "还在缓刑期",
        "刚从监狱里出来",
        "吸毒被强制戒毒过两年",
        "搞诈骗进去过",
        "赌博被派出所抓过好几回",
        "家暴被警察带走过",
        "偷电瓶车被行政拘留了",
        "有案底的，找工作都难",
        "上了失信被执行人名单",
        "是刑满释放的",
        "醉驾判了四个月",
        "因为伤人蹲过五年大狱",
        "嫖娼被抓过，罚了款",
        "非法集资被判了",
        "盗窃进去过三次",
        "年轻时候进过少管所",
        "吸毒被抓了，现在在戒毒所",
        "喝酒开车撞了人，判了一年半",
        "前年因为打人被关了几天",
        "出来还不到半年，还在社区矫正",
        "卖假药被判过刑",
        "偷了单位的东西，蹲了两年",
        "吸冰毒被人举报了，抓走了",
    ],
    "debt": [
        "欠了好几个网贷平台的钱",
        "赌博输了几十万，到处借钱",
        "信用卡还不上被银行起诉了",
        "借我两万块不还，还把我拉黑了",
        "欠了高利贷，天天有人上门要账",
        "成了老赖，高铁都坐不了",
        "借了亲戚十几万一直没还",
        "网贷逾期了，催收把通讯录都打遍了",
        "欠我三千块一直躲着我",
        "房子因为欠债被法院查封了",
        "工资卡都被冻结了，欠了一屁股债",
        "打牌欠了一屁股赌债",
        "借遍了整个单元的人，一分没还",
        "刷信用卡套现，现在还不上了",
        "在外面欠了四十多万",
        "玩网络赌博把房子都输了",
        "借钱不还，法院判了还是不给",
        "被网贷催收的堵在家门口",
        "借了我妈八千块，说好年底还，现在电话都不接了",
        "欠了十几张信用卡，天天被催",
        "赌球欠了二十万，老婆孩子都回娘家了",
    ],
    "family": [
        "离婚了，孩子归男方",
        "和老公分居大半年了",
        "在打离婚官司，两边抢孩子",
        "跟单位的男同事好上了",
        "老公在外面养了个小的",
        "没结婚就怀孕了",
        "被她男人打得跑回娘家了",
        "孩子判给了前夫，一个月只能见一次",
        "是二婚，前夫还老来闹",
        "出轨被老婆抓了现行",
        "媳妇跟人跑了",
        "两口子正在闹离婚",
        "生的孩子不是她老公的",
        "在外面有个私生子",
        "离了三次婚了",
        "跟前妻为抚养费吵到法院去了",
        "老婆跟他分居了，带着孩子回了老家",
        "偷偷跟楼下的有一腿",
        "跟老公离了，现在一个人带俩孩子",
        "在外面包了个二奶",
        "老公出轨，俩人天天吵",
        "还没领证肚子就大了",
        "前妻告他不给抚养费",
        "两口子分开住好几年了，就是没办手续",
        "跟一个有家的男人好上了，被人家老婆找上门",
    ],
}
# How neighbours tell it.
FRAMES = [
    "{p}{m}",
    "听说{p}{m}",
    "你们知道吗，{p}{m}",
    "{p}{m}，怪可怜的",
    "{p}{m}，大家注意点",
    "{p}{m}？真的假的",
    "哎，{p}{m}，难怪好久没见着",
    "跟你们说个事，{p}{m}，别往外传",
    "{p}{m}，他家里人都不让提",
    "{p}啊，{m}",
    "我听楼下的说{p}{m}",
    "{p}{m}，唉",
    "早上在菜市场碰见的，{p}{m}",
    "{p}{m}，这事全楼都知道了",
    "不是我说，{p}{m}",
    "{p}{m}，你们可别跟她说是我讲的",
    "{p}{m}吧？我看着像",
    "据说{p}{m}",
    "{p}好像{m}",
    "咱们楼{p}{m}，大家心里有个数",
    "{p}{m}，前两天我还看见她在楼下，人瘦了一大圈",
    "昨天跟几个老姐妹聊天才知道，{p}{m}",
    "{p}的事你们听说没？说是{m}",
    "{p}{m} 你们不知道吧",
    "我跟你们说{p}{m}真的 我亲眼看见的",
    "{p}{m}，所以最近都躲着人",
    "难怪{p}最近不出门，原来{m}",
    "{p}那个人{m}，他家里人也不管",
    "谁还不知道啊，{p}{m}",
    "{p}{m}，这家人也真够难的",
]
# The writer's own, and the writer's unnamed family: not someone else's private matter.
OWN = [
    "我",
    "我妈",
    "我爸",
    "我老公",
    "我媳妇",
    "我家老人",
    "我儿子",
    "我闺女",
    "我婆婆",
    "我自己",
    "本人",
    "我家那口子",
    "我哥",
    "我姐",
]
OWN_FRAMES = [
    "{p}{m}，想问问大家有没有好的办法",
    "{p}{m}，心里很难受",
    "求助：{p}{m}，该怎么办",
    "{p}{m}，有经历过的吗",
    "{p}{m}，社区能帮忙吗",
    "{p}{m}，大家别笑话",
    "{p}{m}，现在每天都睡不着",
    "说出来不怕大家笑话，{p}{m}",
    "{p}{m}，有懂的朋友私聊我一下",
]
# The same matters said of no one in particular.
GENERAL = {
    "health": [
        "肺癌早发现早治疗，四十岁以上每年查一次",
        "抑郁症不是矫情，身边人要多关心",
        "打胰岛素的话针头要一次一换",
        "癫痫发作的时候不要往嘴里塞东西",
        "艾滋病日卫生站有免费匿名检测",
        "透析病人饮食要控制喝水",
        "中风的前兆是嘴歪、手麻",
        "残疾证怎么办理？要去哪个医院鉴定",
        "低保的申请条件是什么，收入多少算",
        "不孕不育现在能报医保吗",
        "精神障碍患者家属可以去社区申请帮扶",
        "老年痴呆早期表现是什么，怎么区分",
        "乙肝会不会通过吃饭传染",
        "糖尿病人能吃南瓜吗",
        "化疗以后吃什么补得快",
        "尿毒症透析医保能报多少",
    ],
    "record": [
        "酒驾现在一律拘留，醉驾要判刑",
        "吸毒的人复吸率特别高",
        "打架斗殴一般拘留几天",
        "缓刑期间能不能出省",
        "刑满释放人员社区有帮扶政策",
        "偷电瓶车抓到判几年",
        "有案底的人子女能考公务员吗",
        "失信被执行人名单在哪里查",
        "家暴可以申请人身安全保护令",
        "赌博被抓一般怎么处罚",
    ],
    "debt": [
        "网贷千万别碰，利滚利还不起",
        "信用卡逾期会不会坐牢",
        "借钱给别人一定要打欠条",
        "欠钱不还的可以去法院起诉",
        "赌博欠的钱法律上不保护",
        "高利贷超过的利息不受法律保护",
        "催收打通讯录是违法的，可以投诉",
        "被列为老赖有哪些限制",
    ],
    "family": [
        "离婚冷静期是三十天",
        "抚养权一般判给谁",
        "分居两年能不能直接离婚",
        "未婚先孕的孩子能上户口吗",
        "婚内出轨财产怎么分",
        "抚养费一般按收入的多少给",
        "现在离婚率越来越高了",
        "二婚的孩子户口怎么迁",
    ],
}
GENERAL_FRAMES = [
    "{g}",
    "请问{g}？",
    "{g}，大家注意",
    "问一下，{g}",
    "科普一下：{g}",
    "{g}吗？有懂的吗",
]
# The same matters of someone the message does not say: 有人, 某人, a withheld name.
UNSPECIFIC = [
    "小区里有人{m}，不知道是谁",
    "听说楼里有个人{m}",
    "网上有个人{m}，评论都炸了",
    "朋友圈说有个人{m}，不知道真假",
    "我们单位有人{m}，大家都挺同情的",
]
WITHHELD = [
    "警方通报：{s}某{m}，已依法处理",
    "新闻说{s}某某{m}",
    "法院公告：被告人{s}某{m}",
]
# Public figures, news, notices, adverts: the same words, no neighbour.
PUBLIC = [
    "新闻说某演员吸毒被抓了，真是想不到",
    "某明星离婚的新闻上热搜了",
    "电视上说一个男的酒驾撞了人被判了三年",
    "网上那个网红欠了几个亿跑路了",
    "某地一男子赌博输光家产的新闻看了吗",
    "那个歌手得了抑郁症，新闻说已经退圈了",
    "报道说某公司老板非法集资被判了十年",
    "某球星出轨的事闹得沸沸扬扬",
    "某区法院公布了一批失信被执行人",
    "新闻：某市破获一起特大贩毒案",
    "社区公告：本周六在活动中心举办糖尿病健康讲座",
    "派出所提醒：近期开展禁毒宣传，欢迎居民参加",
    "警方提示：酒驾醉驾害人害己，请勿酒后驾车",
    "社区通知：低保年审材料请于月底前交到居委会",
    "卫生服务站通知：65岁以上老人免费体检，可查血糖血脂",
    "街道通知：残疾证年审时间为下周一至周五",
    "反诈提醒：网贷逾期清除征信都是骗局",
    "社区心理咨询室开放了，有情绪困扰的可以来聊聊",
    "司法所开展普法讲座：婚姻家庭纠纷怎么调解",
    "新开的康复中心，中风偏瘫康复训练，地址在东大街18号",
    "专业糖尿病足护理，社区门口诊所，欢迎咨询",
    "律师事务所：离婚、抚养权、债务纠纷免费咨询",
    "健康小屋免费测血糖，每天上午开放",
    "眼镜店开业，老花镜买一送一",
]
# The same people in everyday talk: no private matter.
EVERYDAY = [
    "今天做的包子真香，谢谢她",
    "帮我收了个快递，太谢谢了",
    "在楼下晒被子呢",
    "明天几点去广场跳舞",
    "家的小狗又跑出来了，谁看见了",
    "送了我一袋自家种的西红柿",
    "刚才在电梯里碰到了，说下午停水",
    "今天值班吗，我想去拿个包裹",
    "家的孩子考上大学了，真替她高兴",
    "回老家了，下周才回来",
    "手艺真好，修个车才收十块",
    "退休了，天天带孙子",
    "的车挪走了吗",
    "说明天一起去赶集",
    "家装修呢，大家多担待一下噪音",
    "在吗？快递放你家门口了",
    "帮忙通知一下，周末开业主大会",
    "做的红烧肉一绝",
    "说小区门口的银行搬了",
    "今天早上锻炼摔了一跤，没啥事，就擦破点皮",
]

# The same people with a matter's words that tell nothing private of them: their work, a
# general tip they pass on, their help.
ROLES = [
    "是市医院肿瘤科的大夫，看病可以找他",
    "在派出所上班，专门管禁毒这块",
    "是律师，离婚官司打得好",
    "是社区的低保专干，申请低保找她就行",
    "在银行上班，信用卡的事可以问她",
    "是小学三年级的班主任",
    "在民政局婚姻登记处上班",
    "在社区做心理咨询志愿者，有心事可以找她聊",
    "以前是缉毒警察，现在退休了",
    "开了个康复理疗馆，中风康复做得不错",
    "在法院上班，欠钱打官司的事她懂",
    "是透析室的护士长",
    "在残联工作，办残疾证的流程她最清楚",
    "是戒毒所的管教",
    "在催收公司上过班，说爆通讯录是违法的",
    "组织了个抗癌互助会，每周六在活动室",
    "是糖尿病专科的医生，周三坐诊",
]
TIPS = [
    "说网贷千万别碰，利滚利还不起",
    "说酒驾现在一律拘留，大家别心存侥幸",
    "说打胰岛素的针头要一次一换",
    "提醒大家，最近有人冒充法院发传票，都是假的",
    "说低保年审要带户口本和收入证明",
    "说抑郁症要早看医生，别硬扛",
    "讲了个离婚冷静期的事，说是三十天",
    "说信用卡逾期别信什么征信修复",
    "说艾滋病日卫生站能免费检测",
    "提醒大家，赌博害人，别去小区后面那个棋牌室",
    "说中风了要在四个半小时内送医院",
    "说借钱给人一定要打欠条",
    "说家暴可以申请人身安全保护令",
]
HELPS = [
    "帮我把残疾证的材料送去了，太感谢了",
    "帮我问了低保的事，说下个月能批",
    "陪我去医院做了透析，真是好人",
    "帮我找了个律师打离婚官司",
    "帮我报了警，把偷电瓶车的抓住了",
    "帮我跟催收的人理论了一通",
    "今天抓到一个偷电瓶车的，交给派出所了",
    "帮我家孩子辅导了数学，这次考了班里前十",
    "陪我去办了低保的手续，跑了三趟",
    "借了我一个血糖仪，我妈测完就还",
    "帮我填了失信名单查询的表",
]
# Said of the same people: something happening now (a call for help, not a record), a
# notice they pass on, a question they ask for themselves.
HAPPENING = [
    "家里又在吵架，好像打起来了，谁去看看",
    "那边有人打架，赶紧报警",
    "刚才在楼下被人骂了，说是催收的找错人了",
    "说下周社区免费体检，糖尿病高血压都能查",
    "通知大家，低保年审材料月底前交",
    "说禁毒宣传周六在广场，让大家都去",
    "问网贷逾期的事找哪个部门",
    "问办残疾证要带什么材料",
    "问信用卡被盗刷了怎么报警",
    "说派出所抓了个偷电瓶车的，不是咱小区的人",
    "讲的抑郁症讲座挺有用的",
    "说酒驾的那个新闻是外地的",
]


def rows() -> list[dict[str, str]]:
    rng = random.Random(SEED)
    out: list[dict[str, str]] = []

    def add(text: str, label: str, style: str, kind: str = "") -> None:
        out.append({"text": text, "label": label, "kind": kind, "style": style})

    for kind, matters in MATTERS.items():
        for m in matters:
            for _ in range(4):
                p, frame = rng.choice(PEOPLE), rng.choice(FRAMES)
                add(frame.format(p=p, m=m), "pii", "neighbour", kind)
            if "我" in m:  # 借我两万块不还: said of the writer, it means nothing
                continue
            own = rng.choice(OWN)
            add(rng.choice(OWN_FRAMES).format(p=own, m=m), "ok", "own", kind)
    surnames = "王李张刘陈杨赵黄周吴"
    for kind, matters in MATTERS.items():
        for m in rng.sample(matters, 6):
            add(rng.choice(UNSPECIFIC).format(m=m), "ok", "unspecific", kind)
            if kind in ("record", "debt"):  # what a police or court notice tells
                add(
                    rng.choice(WITHHELD).format(s=rng.choice(surnames), m=m), "ok", "withheld", kind
                )
    for kind, lines in GENERAL.items():
        for g in lines:
            add(rng.choice(GENERAL_FRAMES).format(g=g), "ok", "general", kind)
            add(g, "ok", "general", kind)
            # a general fact a neighbour passed on: 残疾证分四级，王老师说的
            frame = rng.choice(["{g}，{p}说的", "听{p}说{g}", "{p}讲了，{g}"])
            add(frame.format(g=g, p=rng.choice(PEOPLE)), "ok", "relayed", kind)
    for line in PUBLIC:
        add(line, "ok", "public")
    for tails in (ROLES, TIPS, HELPS, HAPPENING):
        for tail in tails:
            for p in rng.sample(PEOPLE, 5):
                add(f"{p}{tail}", "ok", "person-no-matter")
    for tail in EVERYDAY:
        for p in rng.sample(PEOPLE, 4):
            add(f"{p}{tail}", "ok", "everyday")
    seen: set[str] = set()
    dev = {json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines()}
    unique = []
    for r in out:
        if r["text"] not in seen and r["text"] not in dev:
            seen.add(r["text"])
            unique.append(r)
    return unique


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    written = rows()
    with OUT.open("w", encoding="utf-8") as f:
        for r in written:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    pii = sum(r["label"] == "pii" for r in written)
    print(f"{OUT}: {len(written)} lines, {pii} pii, {len(written) - pii} ok")


if __name__ == "__main__":
    main()
